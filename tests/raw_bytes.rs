//! Raw bytes kept: a device printing non-UTF-8 bytes (the testbed's `garbage` fault) has them
//! written as sent to stdout and `--save` files, and carried in JSON without loss (the text with
//! U+FFFD, and `output_base64` beside it), under every strategy.

mod common;

use common::{json, netrun, stderr, TestLab};

/// `text` decoded from standard base64 (the test's own decoder, independent of netrun's).
fn unbase64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        other => panic!("not base64: {other}"),
    };
    let mut out = Vec::new();
    for quad in text.as_bytes().chunks(4) {
        let digits: Vec<u8> = quad
            .iter()
            .filter(|&&c| c != b'=')
            .map(|&c| value(c))
            .collect();
        let n = digits
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &d)| n | u32::from(d) << (18 - 6 * i));
        out.extend((0..digits.len() - 1).map(|i| (n >> (16 - 8 * i)) as u8));
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn non_utf8_output_is_kept_byte_for_byte() {
    let lab = TestLab::start(2, &["--fault", "garbage:R1"]);
    let inventory = lab.inventory();
    let inventory = inventory.to_str().unwrap();
    for strategy in netrun::strategies().map(|s| s.name()) {
        let out = netrun(&[
            "-i", inventory, "-s", strategy, "-o", "json", "show", "version",
        ]);
        assert_eq!(out.status.code(), Some(0), "{strategy}: {}", stderr(&out));
        let doc = json(&out);
        let garbled = &doc["hosts"][0]["commands"][0];
        let text = garbled["output"].as_str().unwrap();
        assert!(text.contains('\u{fffd}'), "{strategy}: {text}");
        let bytes = unbase64(garbled["output_base64"].as_str().expect("output_base64"));
        assert!(std::str::from_utf8(&bytes).is_err());
        assert_eq!(String::from_utf8_lossy(&bytes), text, "{strategy}");
        let plain = &doc["hosts"][1]["commands"][0];
        assert!(plain.get("output_base64").is_none(), "{strategy}: {plain}");

        let save_dir = lab.dir().join(format!("saved-{strategy}"));
        let save = save_dir.to_str().unwrap();
        let out = netrun(&[
            "-i", inventory, "-s", strategy, "--save", save, "show", "version",
        ]);
        assert_eq!(out.status.code(), Some(0), "{strategy}: {}", stderr(&out));
        assert!(
            contains(&out.stdout, &bytes),
            "{strategy}: stdout lost the bytes"
        );
        let saved = std::fs::read(save_dir.join("R1.txt")).unwrap();
        assert!(
            contains(&saved, &bytes),
            "{strategy}: the --save file lost the bytes"
        );
    }
}
