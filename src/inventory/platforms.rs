//! Platform names other tools write, as the Netmiko device_type names netrun resolves: NAPALM's
//! (Nornir's `platform`), scrapli's (`connection_options.scrapli.platform`) and Ansible's
//! `ansible_network_os`, short (`ios`) or as a collection (`cisco.ios.ios`). A name not listed
//! is passed on unchanged, so the device-type table decides what it means (or says it is unknown).
//!
//! Sources: NAPALM's driver names (ios, iosxr, nxos, nxos_ssh, eos, junos), scrapli's core
//! platforms (cisco_iosxe, cisco_nxos, cisco_iosxr, arista_eos, juniper_junos), and the
//! `network_os` each Ansible network collection documents (cisco.ios.ios, cisco.nxos.nxos,
//! cisco.iosxr.iosxr, arista.eos.eos, junipernetworks.junos.junos, cisco.asa.asa).

use super::yaml::Node;

/// Foreign name → Netmiko device_type.
const NETMIKO_NAMES: &[(&str, &str)] = &[
    // NAPALM and Ansible's short names
    ("ios", "cisco_ios"),
    ("iosxe", "cisco_xe"),
    ("nxos", "cisco_nxos"),
    ("nxos_ssh", "cisco_nxos"),
    ("iosxr", "cisco_xr"),
    ("eos", "arista_eos"),
    ("junos", "juniper_junos"),
    ("asa", "cisco_asa"),
    // scrapli
    ("cisco_iosxe", "cisco_xe"),
    ("cisco_iosxr", "cisco_xr"),
    // Ansible collections
    ("cisco.ios.ios", "cisco_ios"),
    ("cisco.nxos.nxos", "cisco_nxos"),
    ("cisco.iosxr.iosxr", "cisco_xr"),
    ("arista.eos.eos", "arista_eos"),
    ("junipernetworks.junos.junos", "juniper_junos"),
    ("cisco.asa.asa", "cisco_asa"),
];

/// The Netmiko device_type for `name`, or `name` itself when it is not a foreign name.
pub(crate) fn netmiko_name(name: &str) -> &str {
    NETMIKO_NAMES
        .iter()
        .find(|(foreign, _)| foreign.eq_ignore_ascii_case(name.trim()))
        .map_or(name, |(_, netmiko)| netmiko)
}

/// Rewrite a platform value in place (a string; anything else is left for validation to name).
pub(crate) fn rename(node: &mut Node) {
    if let Node::Str(name) = node {
        let netmiko = netmiko_name(name);
        if netmiko != name {
            *name = netmiko.to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_names_become_netmiko_names() {
        for (foreign, netmiko) in [
            ("ios", "cisco_ios"),
            ("IOS", "cisco_ios"),
            ("cisco.ios.ios", "cisco_ios"),
            ("nxos", "cisco_nxos"),
            ("cisco.nxos.nxos", "cisco_nxos"),
            ("eos", "arista_eos"),
            ("arista.eos.eos", "arista_eos"),
            ("junos", "juniper_junos"),
            ("junipernetworks.junos.junos", "juniper_junos"),
            ("iosxr", "cisco_xr"),
            ("cisco.iosxr.iosxr", "cisco_xr"),
            ("asa", "cisco_asa"),
            ("cisco.asa.asa", "cisco_asa"),
            ("cisco_iosxe", "cisco_xe"),
        ] {
            assert_eq!(netmiko_name(foreign), netmiko, "{foreign}");
        }
    }

    #[test]
    fn other_names_pass_through() {
        for name in ["cisco_ios", "arista_eos", "linux", "vyos", "cisco.foo.foo"] {
            assert_eq!(netmiko_name(name), name);
        }
        let mut node = Node::Int(3);
        rename(&mut node);
        assert_eq!(node, Node::Int(3));
        let mut node = Node::Str("cisco.ios.ios".into());
        rename(&mut node);
        assert_eq!(node, Node::Str("cisco_ios".into()));
    }
}
