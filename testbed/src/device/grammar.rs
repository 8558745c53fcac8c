//! The command grammar: per-mode command trees built from pattern strings, and the matcher that
//! resolves a typed line by unique prefix, reporting IOS's three parse errors (invalid input at a
//! word, ambiguous prefix, incomplete command).

use std::net::Ipv4Addr;

use super::ifname::IfName;

/// What a pattern word accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// A keyword, matched by any unique prefix.
    Kw(&'static str),
    /// Any single word.
    Word,
    /// A number in an inclusive range.
    Num(u32, u32),
    /// A dotted-quad IPv4 address.
    Ip,
    /// An IPv4 prefix, `10.0.0.1/24`.
    Prefix,
    /// An interface name (one word `Gi0/1`, or two `GigabitEthernet 0/1`).
    If,
    /// The rest of the line, spaces included.
    Rest,
}

impl Tok {
    fn from_pattern(word: &'static str) -> Tok {
        match word {
            "WORD" => Tok::Word,
            "A.B.C.D" => Tok::Ip,
            "A.B.C.D/M" => Tok::Prefix,
            "IFNAME" => Tok::If,
            "LINE" => Tok::Rest,
            _ if word.starts_with('<') => {
                let (lo, hi) = word
                    .trim_matches(|c| c == '<' || c == '>')
                    .split_once('-')
                    .expect("numeric pattern is <lo-hi>");
                Tok::Num(
                    lo.parse().expect("numeric low"),
                    hi.parse().expect("numeric high"),
                )
            }
            _ => Tok::Kw(word),
        }
    }
}

/// One node of a command tree.
#[derive(Debug)]
pub struct Node<C> {
    tok: Tok,
    children: Vec<Node<C>>,
    action: Option<C>,
}

/// The command tree of one CLI mode.
#[derive(Debug)]
pub struct Grammar<C> {
    roots: Vec<Node<C>>,
}

/// Why a line did not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// No command accepts the word at this byte offset of the line.
    Invalid(usize),
    /// A prefix matches several keywords.
    Ambiguous,
    /// The words so far are a valid start, but the command needs more.
    Incomplete,
}

/// A parsed line: the command and each word resolved (keywords spelled in full, arguments as
/// typed, an interface name canonical, the rest-of-line argument as one string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<C> {
    pub command: C,
    pub words: Vec<String>,
    /// Byte offset in the line where each resolved word starts.
    pub offsets: Vec<usize>,
}

impl<C: Copy> Grammar<C> {
    /// Build a tree from `(pattern, command)` pairs; a pattern is space-separated words where
    /// `WORD`, `A.B.C.D`, `A.B.C.D/M`, `IFNAME`, `LINE` and `<lo-hi>` are arguments and anything else a keyword.
    pub fn new(patterns: &[(&'static str, C)]) -> Grammar<C> {
        let mut roots = Vec::new();
        for (pattern, command) in patterns {
            insert(&mut roots, pattern.split_whitespace(), *command);
        }
        Grammar { roots }
    }

    /// Resolve a line. Leading and trailing blanks are allowed; an empty line is `Incomplete`.
    pub fn parse(&self, line: &str) -> Result<Parsed<C>, ParseError> {
        let words = split_words(line);
        let mut nodes = &self.roots;
        let mut action = None;
        let mut resolved = Vec::new();
        let mut offsets = Vec::new();
        let mut i = 0;
        while i < words.len() {
            let (offset, word) = words[i];
            let next = words.get(i + 1).map(|w| w.1);
            let (node, used, value) = select(nodes, word, next).map_err(|e| match e {
                Select::None => ParseError::Invalid(offset),
                Select::Ambiguous => ParseError::Ambiguous,
            })?;
            action = node.action;
            offsets.push(offset);
            if node.tok == Tok::Rest {
                resolved.push(line[offset..].trim_end().to_string());
                break;
            }
            resolved.push(value);
            nodes = &node.children;
            i += used;
            if i < words.len() && nodes.is_empty() {
                return Err(ParseError::Invalid(words[i].0));
            }
        }
        match action {
            Some(command) => Ok(Parsed {
                command,
                words: resolved,
                offsets,
            }),
            None => Err(ParseError::Incomplete),
        }
    }
}

fn insert<C>(nodes: &mut Vec<Node<C>>, mut words: std::str::SplitWhitespace<'static>, command: C) {
    let Some(word) = words.next() else { return };
    let tok = Tok::from_pattern(word);
    let at = match nodes.iter().position(|n| n.tok == tok) {
        Some(at) => at,
        None => {
            nodes.push(Node {
                tok,
                children: Vec::new(),
                action: None,
            });
            nodes.len() - 1
        }
    };
    let node = &mut nodes[at];
    if words.clone().next().is_none() {
        node.action = Some(command);
    } else {
        insert(&mut node.children, words, command);
    }
}

/// Words of a line with their byte offsets.
pub fn split_words(line: &str) -> Vec<(usize, &str)> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                words.push((s, &line[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, &line[s..]));
    }
    words
}

enum Select {
    None,
    Ambiguous,
}

/// Pick the child that accepts `word`: an exact keyword, else a unique keyword prefix, else an
/// argument. Returns the node, how many words it used and the resolved word.
fn select<'n, C>(
    nodes: &'n [Node<C>],
    word: &str,
    next: Option<&str>,
) -> Result<(&'n Node<C>, usize, String), Select> {
    let lower = word.to_ascii_lowercase();
    let keyword = |n: &Node<C>| match n.tok {
        Tok::Kw(k) => Some(k),
        _ => None,
    };
    if let Some(n) = nodes.iter().find(|n| keyword(n) == Some(lower.as_str())) {
        return Ok((n, 1, lower));
    }
    let prefixed: Vec<&Node<C>> = nodes
        .iter()
        .filter(|n| keyword(n).is_some_and(|k| k.starts_with(&lower)))
        .collect();
    match prefixed.as_slice() {
        [n] => return Ok((n, 1, keyword(n).unwrap_or_default().to_string())),
        [_, _, ..] => return Err(Select::Ambiguous),
        [] => {}
    }
    for n in nodes {
        if let Some((used, value)) = accepts(&n.tok, word, next) {
            return Ok((n, used, value));
        }
    }
    Err(Select::None)
}

fn accepts(tok: &Tok, word: &str, next: Option<&str>) -> Option<(usize, String)> {
    match tok {
        Tok::Kw(_) => None,
        Tok::Word | Tok::Rest => Some((1, word.to_string())),
        Tok::Num(lo, hi) => word
            .parse::<u32>()
            .ok()
            .filter(|n| (lo..=hi).contains(&n))
            .map(|n| (1, n.to_string())),
        Tok::Ip => word.parse::<Ipv4Addr>().ok().map(|ip| (1, ip.to_string())),
        Tok::Prefix => {
            let (ip, len) = word.split_once('/')?;
            let ip: Ipv4Addr = ip.parse().ok()?;
            let len: u8 = len.parse().ok().filter(|l| *l <= 32)?;
            Some((1, format!("{ip}/{len}")))
        }
        Tok::If => {
            if let Some(name) = IfName::parse(word) {
                return Some((1, name.to_string()));
            }
            let joined = format!("{word}{}", next?);
            IfName::parse(&joined).map(|name| (2, name.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Cmd {
        ShowVersion,
        ShowIpIntBrief,
        ShowIpRoute,
        Setup,
        Describe,
        Interface,
        Terminal,
    }

    fn grammar() -> Grammar<Cmd> {
        Grammar::new(&[
            ("show version", Cmd::ShowVersion),
            ("show ip interface brief", Cmd::ShowIpIntBrief),
            ("show ip route", Cmd::ShowIpRoute),
            ("setup", Cmd::Setup),
            ("description LINE", Cmd::Describe),
            ("interface IFNAME", Cmd::Interface),
            ("terminal length <0-512>", Cmd::Terminal),
        ])
    }

    #[test]
    fn resolves_unique_prefixes() {
        let p = grammar().parse("sh ip int br").unwrap();
        assert_eq!(p.command, Cmd::ShowIpIntBrief);
        assert_eq!(p.words, ["show", "ip", "interface", "brief"]);
    }

    #[test]
    fn reports_ambiguity_and_invalid_offsets() {
        let g = grammar();
        assert_eq!(g.parse("s"), Err(ParseError::Ambiguous));
        assert_eq!(g.parse("show foo"), Err(ParseError::Invalid(5)));
        assert_eq!(
            g.parse("  show  version extra"),
            Err(ParseError::Invalid(16))
        );
        assert_eq!(g.parse("show ip"), Err(ParseError::Incomplete));
        assert_eq!(g.parse("term len 513"), Err(ParseError::Invalid(9)));
    }

    #[test]
    fn rest_of_line_and_interface_arguments() {
        let g = grammar();
        let p = g.parse("descr  uplink to  core ").unwrap();
        assert_eq!(p.words, ["description", "uplink to  core"]);
        let p = g.parse("int gi 0/1").unwrap();
        assert_eq!(p.words, ["interface", "GigabitEthernet0/1"]);
        assert_eq!(g.parse("int lo0").unwrap().words[1], "Loopback0");
    }
}
