//! Telnet codec throughput: MB/s decoding a large received stream (device output in 16 KiB
//! reads), plain and laced with IAC sequences, and encoding typed lines. A benchmark, not a test:
//! run with `cargo bench --bench telnet_codec`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use netrun::telnet::codec::{DO, IAC, OPT_ECHO, OPT_NAWS, SB, SE, WILL};
use netrun::telnet::TelnetCodec;

/// Bytes per stream and per read.
const STREAM: usize = 64 << 20;
const READ: usize = 16 << 10;
/// Each case is run this many times; the best run is reported.
const RUNS: usize = 5;

/// Lines of `show` output, as a device sends them.
fn plain_stream() -> Vec<u8> {
    let line =
        b"GigabitEthernet0/1     10.0.0.1        YES NVRAM  up                    up      \r\n";
    line.iter().copied().cycle().take(STREAM).collect()
}

/// The same output with, every 64 bytes, one of: a doubled 0xff, CR NUL, a repeated option
/// request (no answer owed), a window-size subnegotiation.
fn iac_stream() -> Vec<u8> {
    let plain = plain_stream();
    let sequences: [&[u8]; 4] = [
        &[IAC, IAC],
        b"\r\0",
        &[IAC, WILL, OPT_ECHO],
        &[IAC, SB, OPT_NAWS, 0, 80, 0, 24, IAC, SE],
    ];
    let mut stream = Vec::with_capacity(STREAM + STREAM / 8);
    for (i, chunk) in plain.chunks(64).enumerate() {
        stream.extend_from_slice(chunk);
        stream.extend_from_slice(sequences[i % sequences.len()]);
    }
    stream
}

/// Best time to decode `stream` in `READ`-sized reads, after the server's greeting.
fn decode(stream: &[u8]) -> Duration {
    best_of(|| {
        let mut codec = TelnetCodec::new();
        let mut data = Vec::with_capacity(READ);
        codec.decode(&[IAC, WILL, OPT_ECHO, IAC, DO, OPT_NAWS], &mut data);
        black_box(codec.take_transmit());
        for read in stream.chunks(READ) {
            data.clear();
            codec.decode(read, &mut data);
            black_box(&data);
            black_box(codec.take_transmit());
        }
    })
}

/// Best time to encode `stream` as typed lines of 80 bytes.
fn encode(stream: &[u8]) -> Duration {
    best_of(|| {
        let mut codec = TelnetCodec::new();
        let mut wire = Vec::with_capacity(128);
        for line in stream.chunks(80) {
            wire.clear();
            codec.encode(line, &mut wire);
            black_box(&wire);
        }
    })
}

fn best_of(mut run: impl FnMut()) -> Duration {
    (0..RUNS)
        .map(|_| {
            let started = Instant::now();
            run();
            started.elapsed()
        })
        .min()
        .expect("RUNS > 0")
}

fn main() {
    let plain = plain_stream();
    let laced = iac_stream();
    let cases = [
        ("decode, plain output", plain.len(), decode(&plain)),
        ("decode, IAC every 64 B", laced.len(), decode(&laced)),
        ("encode, 80 B lines", plain.len(), encode(&plain)),
    ];
    println!(
        "{:<24} {:>8} {:>10} {:>10}",
        "case", "MB", "best ms", "MB/s"
    );
    for (name, bytes, time) in cases {
        let mb = bytes as f64 / 1e6;
        println!(
            "{name:<24} {mb:>8.1} {:>10.1} {:>10.0}",
            time.as_secs_f64() * 1e3,
            mb / time.as_secs_f64()
        );
    }
}
