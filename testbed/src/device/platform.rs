//! The platform seam: what differs per vendor, as data. A [`Personality`] names the platform,
//! the Netmiko device_type written to `--inventory-out`, the SSH server identification, the
//! pager's prompt and erase bytes, the paging-off and width commands with the replies real
//! devices give, and the error texts with where the caret goes. The command interpreters read
//! it: `session.rs` (IOS, the line discipline and pager shared by all), `vendor/` (the others).
//!
//! Where the strings come from is listed per platform in testbed/README.md.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

/// A simulated platform, named as Netmiko names its SSH driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    #[default]
    CiscoIos,
    CiscoNxos,
    CiscoXr,
    AristaEos,
    JuniperJunos,
    CiscoAsa,
    Linux,
}

impl Platform {
    pub const ALL: [Platform; 7] = [
        Platform::CiscoIos,
        Platform::CiscoNxos,
        Platform::CiscoXr,
        Platform::AristaEos,
        Platform::JuniperJunos,
        Platform::CiscoAsa,
        Platform::Linux,
    ];

    pub fn personality(self) -> &'static Personality {
        match self {
            Platform::CiscoIos => &IOS,
            Platform::CiscoNxos => &NXOS,
            Platform::CiscoXr => &XR,
            Platform::AristaEos => &EOS,
            Platform::JuniperJunos => &JUNOS,
            Platform::CiscoAsa => &ASA,
            Platform::Linux => &LINUX,
        }
    }

    pub fn name(self) -> &'static str {
        self.personality().name
    }

    /// The known names, for error messages.
    pub fn names() -> String {
        Platform::ALL.map(Platform::name).join(", ")
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Platform {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("unknown platform `{s}` (known: {})", Platform::names()))
    }
}

/// How a platform reports a line it cannot parse.
#[derive(Debug, Clone, Copy)]
pub struct ErrorTexts {
    /// After a caret line under the offending word (`None`: no caret line, as on EOS).
    pub invalid: &'static str,
    /// Whether the invalid-input message has a caret line above it.
    pub caret: bool,
    pub incomplete: &'static str,
    /// `{}` is replaced by the line as typed.
    pub ambiguous: &'static str,
}

/// Everything that differs per vendor and is plain data.
#[derive(Debug)]
pub struct Personality {
    pub platform: Platform,
    /// The Netmiko SSH device_type, also the `--platform` and lab-file name.
    pub name: &'static str,
    /// Netmiko's device_type for the Telnet form (written for Telnet-only devices).
    pub telnet_name: &'static str,
    /// What the SSH server says first.
    pub ssh_server_id: &'static str,
    /// What a page ends with while more output is waiting (empty: the platform does not page).
    pub more_prompt: &'static [u8],
    /// What the device prints after a key at the pager prompt to wipe it.
    pub more_erase: &'static [u8],
    pub errors: ErrorTexts,
    /// Lines per page before anyone sets the length.
    pub default_length: usize,
    /// Printed after an SSH login, before the first prompt.
    pub banner: &'static str,
    /// What a Telnet connection is greeted with, ending in the username prompt.
    pub telnet_login: &'static str,
    /// The reply to a wrong Telnet username or password.
    pub login_failed: &'static str,
}

/// Backspaces, blanks, backspaces: `n` of each.
const fn erase<const N: usize>() -> [u8; N] {
    let mut bytes = [b' '; N];
    let third = N / 3;
    let mut i = 0;
    while i < third {
        bytes[i] = 0x08;
        bytes[N - 1 - i] = 0x08;
        i += 1;
    }
    bytes
}

const ERASE_9: [u8; 27] = erase::<27>();
const ERASE_14: [u8; 42] = erase::<42>();
const ERASE_12: [u8; 36] = erase::<36>();

const CISCO_ERRORS: ErrorTexts = ErrorTexts {
    invalid: "% Invalid input detected at '^' marker.",
    caret: true,
    incomplete: "% Incomplete command.",
    ambiguous: "% Ambiguous command:  \"{}\"",
};

pub static IOS: Personality = Personality {
    platform: Platform::CiscoIos,
    name: "cisco_ios",
    telnet_name: "cisco_ios_telnet",
    ssh_server_id: "SSH-2.0-Cisco-1.25",
    more_prompt: b" --More-- ",
    more_erase: &ERASE_9,
    errors: CISCO_ERRORS,
    default_length: 24,
    banner: "",
    telnet_login: "\r\nUser Access Verification\r\n\r\nUsername: ",
    login_failed: "% Login invalid\r\n",
};

pub static NXOS: Personality = Personality {
    platform: Platform::CiscoNxos,
    name: "cisco_nxos",
    telnet_name: "cisco_nxos_telnet",
    ssh_server_id: "SSH-2.0-OpenSSH_8.3",
    more_prompt: b"\x1b[7m--More--\x1b[m",
    more_erase: b"\r\x1b[K",
    errors: ErrorTexts {
        invalid: "% Invalid command at '^' marker.",
        caret: true,
        incomplete: "% Incomplete command at '^' marker.",
        ambiguous: "% Ambiguous command at '^' marker.",
    },
    default_length: 31,
    banner: "Cisco NX-OS Software\r\nCopyright (c) 2002-2021, Cisco Systems, Inc. All rights reserved.\r\n",
    telnet_login: "\r\nUser Access Verification\r\nlogin: ",
    login_failed: "Login incorrect\r\n",
};

pub static XR: Personality = Personality {
    platform: Platform::CiscoXr,
    name: "cisco_xr",
    telnet_name: "cisco_xr_telnet",
    ssh_server_id: "SSH-2.0-Cisco-2.0",
    more_prompt: b" --More-- ",
    more_erase: &ERASE_9,
    errors: CISCO_ERRORS,
    default_length: 24,
    banner: "",
    telnet_login: "\r\n\r\nUser Access Verification\r\n\r\nUsername: ",
    login_failed: "% Authentication failed\r\n",
};

pub static EOS: Personality = Personality {
    platform: Platform::AristaEos,
    name: "arista_eos",
    telnet_name: "arista_eos_telnet",
    ssh_server_id: "SSH-2.0-OpenSSH_7.8",
    more_prompt: b" --More-- ",
    more_erase: &ERASE_9,
    errors: ErrorTexts {
        invalid: "% Invalid input",
        caret: false,
        incomplete: "% Incomplete command",
        ambiguous: "% Ambiguous command",
    },
    default_length: 24,
    banner: "",
    telnet_login: "login: ",
    login_failed: "Login incorrect\r\n",
};

pub static JUNOS: Personality = Personality {
    platform: Platform::JuniperJunos,
    name: "juniper_junos",
    telnet_name: "juniper_junos_telnet",
    ssh_server_id: "SSH-2.0-OpenSSH_7.5",
    more_prompt: b"---(more)---",
    more_erase: &ERASE_12,
    errors: ErrorTexts {
        invalid: "syntax error.",
        caret: true,
        incomplete: "syntax error, expecting <command>.",
        ambiguous: "error: ambiguous command",
    },
    default_length: 24,
    banner: "--- JUNOS 20.4R3.8 Kernel 64-bit  JNPR-12.1-20211013.5a5ff3a_buil\r\n",
    telnet_login: "\r\n(ttyp0)\r\n\r\nlogin: ",
    login_failed: "Login incorrect\r\n",
};

pub static ASA: Personality = Personality {
    platform: Platform::CiscoAsa,
    name: "cisco_asa",
    telnet_name: "cisco_asa_telnet",
    ssh_server_id: "SSH-2.0-Cisco-1.25",
    more_prompt: b"<--- More --->",
    more_erase: &ERASE_14,
    errors: ErrorTexts {
        invalid: "ERROR: % Invalid input detected at '^' marker.",
        caret: true,
        incomplete: "ERROR: % Incomplete command",
        ambiguous: "ERROR: % Ambiguous command:  \"{}\"",
    },
    default_length: 24,
    banner: "",
    telnet_login: "\r\n\r\nUser Access Verification\r\n\r\nUsername: ",
    login_failed: "Login invalid\r\n",
};

pub static LINUX: Personality = Personality {
    platform: Platform::Linux,
    name: "linux",
    telnet_name: "linux_telnet",
    ssh_server_id: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3",
    more_prompt: b"",
    more_erase: b"",
    errors: ErrorTexts {
        invalid: "command not found",
        caret: false,
        incomplete: "command not found",
        ambiguous: "command not found",
    },
    default_length: 0,
    banner: "Linux 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64\r\n\r\nThe programs included with the Debian GNU/Linux system are free software;\r\nthe exact distribution terms for each program are described in the\r\nindividual files in /usr/share/doc/*/copyright.\r\n\r\n",
    telnet_login: "login: ",
    login_failed: "\r\nLogin incorrect\r\n",
};

impl Personality {
    /// The reply to a line that did not parse, with the caret under byte `column` of the
    /// terminal line (prompt included).
    pub fn invalid(&self, column: usize) -> String {
        if self.errors.caret {
            format!("{}^\n{}\n", " ".repeat(column), self.errors.invalid)
        } else {
            format!("{}\n", self.errors.invalid)
        }
    }

    pub fn ambiguous(&self, line: &str) -> String {
        format!("{}\n", self.errors.ambiguous.replace("{}", line.trim()))
    }

    pub fn incomplete(&self) -> String {
        format!("{}\n", self.errors.incomplete)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_list_the_known_ones() {
        for p in Platform::ALL {
            assert_eq!(p.name().parse::<Platform>(), Ok(p));
            assert_eq!(p.personality().platform, p);
        }
        let err = "junos".parse::<Platform>().unwrap_err();
        assert!(
            err.contains("juniper_junos") && err.contains("cisco_ios"),
            "{err}"
        );
    }

    #[test]
    fn erase_wipes_what_the_prompt_printed() {
        assert_eq!(&IOS.more_erase[..9], &[8u8; 9]);
        assert_eq!(&IOS.more_erase[9..18], b"         ");
        assert_eq!(ASA.more_erase.len(), 3 * ASA.more_prompt.len());
        assert_eq!(JUNOS.more_erase.len(), 3 * JUNOS.more_prompt.len());
    }
}
