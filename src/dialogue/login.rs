//! Awaiting the first prompt: Telnet's `Username:` and `Password:` are answered from the plan's
//! credentials, each once (asked again means rejected), a rejection message is recognised, and
//! the first prompt teaches the dialogue the device's hostname.

use super::context::Context;
use super::machine::{Awaiting, Next};
use crate::job::{ErrorKind, Failure, Secret};

/// Waiting for the device's first prompt.
pub(super) struct AwaitLogin {
    username_sent: bool,
    password_sent: bool,
}

impl AwaitLogin {
    pub(super) fn start() -> Next {
        AwaitLogin {
            username_sent: false,
            password_sent: false,
        }
        .wait()
    }

    pub(super) fn on_input(self, cx: &mut Context) -> Result<Next, Failure> {
        if let Some(message) = self.rejection(cx) {
            return Err(Failure::new(ErrorKind::Auth, message));
        }
        let Some((_, line)) = cx.received.last_line() else {
            return Ok(self.wait());
        };
        if cx.profile.username_prompt.is_match(&line) {
            answer(cx, self.username_sent, "Username", |(user, _)| user.clone())?;
            return Ok(AwaitLogin {
                username_sent: true,
                ..self
            }
            .wait());
        }
        if cx.profile.password_prompt.is_match(&line) {
            answer(cx, self.password_sent, "Password", |(_, password)| {
                password.expose().to_string()
            })?;
            return Ok(AwaitLogin {
                password_sent: true,
                ..self
            }
            .wait());
        }
        let Some(level) = cx.profile.level_of(line.trim_start()) else {
            return Ok(self.wait());
        };
        let prompt = line.trim().to_string();
        cx.learn_base_prompt(&prompt);
        cx.reached_prompt(prompt, level);
        Ok(Next::StepDone)
    }

    /// A close right after the credentials is how many devices reject them.
    pub(super) fn on_eof(&self, cx: &Context) -> Option<Failure> {
        self.rejection(cx)
            .map(|message| Failure::new(ErrorKind::Auth, message))
    }

    pub(super) fn awaited(&self) -> &'static str {
        if self.password_sent {
            "no prompt after sending the login password"
        } else if self.username_sent {
            "no password prompt after sending the username"
        } else {
            "no prompt after login"
        }
    }

    /// The device's rejection line, if it rejected the credentials sent.
    fn rejection(&self, cx: &Context) -> Option<String> {
        if !(self.username_sent || self.password_sent) {
            return None;
        }
        cx.received
            .find_line_near_end(cx.profile.login_failed)
            .map(|line| format!("login rejected: {line}"))
    }

    fn wait(self) -> Next {
        Next::Wait(Awaiting::Login(self))
    }
}

/// Answer a `Username:`/`Password:` prompt (`what`) from the plan's credentials, unless it was
/// answered already.
fn answer(
    cx: &mut Context,
    already_answered: bool,
    what: &str,
    value: impl Fn(&(String, Secret)) -> String,
) -> Result<(), Failure> {
    if already_answered {
        return Err(Failure::new(
            ErrorKind::Auth,
            format!("login rejected: the device asked for the {what} again"),
        ));
    }
    let Some(login) = &cx.plan.login else {
        return Err(Failure::new(
            ErrorKind::Auth,
            format!("the device asks for a {what} but the session has no login credentials"),
        ));
    };
    let answer = value(login);
    cx.received.clear();
    cx.send_line(&answer);
    Ok(())
}
