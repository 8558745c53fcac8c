//! Platform profiles as data (placeholder until the dialogue lands).

/// A platform's CLI behaviour.
#[derive(Debug)]
pub struct Profile {
    pub name: &'static str,
}
