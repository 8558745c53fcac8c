//! The curve25519 key exchange on the wire, from a raw client: the devices answer a valid
//! ephemeral key and refuse a low-order one (RFC 7748 §6.1, RFC 8731 §3: the shared secret would
//! be all zeros). The testbed computes its side with ring's X25519 (vendor/russh/PATCHES.md,
//! patch 3), and this is the check russh's own unit test made of the code it replaced.

mod common;

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::TestLab;

const KEXINIT: u8 = 20;
const KEX_ECDH_INIT: u8 = 30;
const KEX_ECDH_REPLY: u8 = 31;
const DISCONNECT: u8 = 1;

/// Packets read before giving up on a reply (the server sends KEXINIT, then its answer).
const PACKETS_AT_MOST: usize = 8;

/// u = 9, the curve's base point: a valid key (of the secret 1).
const BASE_POINT: [u8; 32] = u_coordinate(9);

/// What the device did with a KEX_ECDH_INIT.
#[derive(Debug, PartialEq)]
enum Answer {
    Reply,
    Refused,
}

#[test]
fn a_valid_client_key_gets_a_reply_and_low_order_ones_are_refused() {
    let lab = TestLab::start(&["--devices", "1"]);
    let port = lab.ssh("R1").port;
    assert_eq!(offer(port, BASE_POINT), Answer::Reply, "the base point");
    let low_order: [[u8; 32]; 4] = [
        u_coordinate(0),
        u_coordinate(1),
        hex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
        hex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
    ];
    for point in low_order {
        assert_eq!(offer(port, point), Answer::Refused, "point {point:02x?}");
    }
    // The refusals did not take the device down.
    assert_eq!(
        offer(port, BASE_POINT),
        Answer::Reply,
        "the base point again"
    );
}

/// Identification, KEXINIT (curve25519-sha256 only) and KEX_ECDH_INIT with `point`, then the
/// device's answer: its KEX_ECDH_REPLY, or a DISCONNECT or the connection closed.
fn offer(port: u16, point: [u8; 32]) -> Answer {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    stream
        .write_all(b"SSH-2.0-netrun_kex_test\r\n")
        .expect("identification");
    read_identification(&mut stream);
    stream.write_all(&packet(&kexinit())).expect("KEXINIT");
    let mut init = vec![KEX_ECDH_INIT];
    put_string(&mut init, &point);
    stream.write_all(&packet(&init)).expect("KEX_ECDH_INIT");
    for _ in 0..PACKETS_AT_MOST {
        match read_packet(&mut stream) {
            Ok(payload) => match payload.first() {
                Some(&KEX_ECDH_REPLY) => return Answer::Reply,
                Some(&DISCONNECT) => return Answer::Refused,
                _ => continue,
            },
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Answer::Refused,
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Answer::Refused,
            Err(e) => panic!("reading the device's answer: {e}"),
        }
    }
    panic!("no answer to KEX_ECDH_INIT in {PACKETS_AT_MOST} packets");
}

fn read_identification(stream: &mut TcpStream) {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while !line.ends_with(b"\n") {
        assert!(line.len() < 255, "identification too long: {line:?}");
        stream.read_exact(&mut byte).expect("identification");
        line.push(byte[0]);
    }
    assert!(line.starts_with(b"SSH-2.0-"), "{line:?}");
}

fn kexinit() -> Vec<u8> {
    let mut payload = vec![KEXINIT];
    payload.extend_from_slice(&[0x5a; 16]);
    let lists = [
        "curve25519-sha256",
        "ssh-ed25519,rsa-sha2-256,ssh-rsa",
        "chacha20-poly1305@openssh.com,aes128-ctr",
        "chacha20-poly1305@openssh.com,aes128-ctr",
        "hmac-sha2-256,hmac-sha1",
        "hmac-sha2-256,hmac-sha1",
        "none",
        "none",
        "",
        "",
    ];
    for list in lists {
        put_string(&mut payload, list.as_bytes());
    }
    payload.push(0); // first_kex_packet_follows
    payload.extend_from_slice(&0u32.to_be_bytes());
    payload
}

/// An unencrypted binary packet (RFC 4253 §6): length, padding length, payload, padding to a
/// multiple of 8, at least 4 bytes of it.
fn packet(payload: &[u8]) -> Vec<u8> {
    let mut padding = 8 - (5 + payload.len()) % 8;
    if padding < 4 {
        padding += 8;
    }
    let length = 1 + payload.len() + padding;
    let mut out = (length as u32).to_be_bytes().to_vec();
    out.push(padding as u8);
    out.extend_from_slice(payload);
    out.extend(std::iter::repeat_n(0, padding));
    out
}

fn read_packet(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut length = [0u8; 4];
    stream.read_exact(&mut length)?;
    let length = u32::from_be_bytes(length) as usize;
    assert!((5..=35_000).contains(&length), "packet length {length}");
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body)?;
    let padding = body[0] as usize;
    assert!(padding < length, "padding {padding} of {length}");
    Ok(body[1..length - padding].to_vec())
}

fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

const fn u_coordinate(u: u8) -> [u8; 32] {
    let mut point = [0u8; 32];
    point[0] = u;
    point
}

fn hex(text: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).expect("hex");
    }
    out
}
