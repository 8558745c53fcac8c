//! Fuzz the Telnet client codec (`netrun::telnet::TelnetCodec`) with arbitrary received bytes in
//! arbitrary splits, and round-trip what the client types through encode then decode.
//!
//! Input: `[k][k chunk lengths][stream]`. The stream is cut into the chunk lengths in turn (a 0
//! length is 1 byte), both as received bytes and as the client's writes.
//!
//! Checked: decoding in chunks gives the same data and answers as decoding in one call; data is
//! never longer than the input, answers are bounded by it; every write decodes back to what was
//! typed, line ends as the codec documents them (`\n` and a write-ending `\r` become CR LF, an LF
//! right after such a CR is dropped), with no negotiation in it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netrun::telnet::TelnetCodec;

/// The longest answer one received negotiation (3 bytes) can owe: WILL NAWS and the window
/// size subnegotiation, 13 bytes.
const ANSWER_PER_INPUT_BYTE: usize = 5;

fuzz_target!(|input: &[u8]| {
    let Some((&count, rest)) = input.split_first() else {
        return;
    };
    let count = usize::from(count % 16).min(rest.len());
    let (lengths, stream) = rest.split_at(count);
    let chunks = chunks(stream, lengths);

    let (whole_data, whole_answers) = decode(&[stream]);
    assert_eq!(decode(&chunks), (whole_data.clone(), whole_answers.clone()));
    assert!(whole_data.len() <= stream.len());
    assert!(whole_answers.len() <= ANSWER_PER_INPUT_BYTE * stream.len());

    let mut client = TelnetCodec::new();
    let mut wire = Vec::new();
    for write in &chunks {
        client.encode(write, &mut wire);
    }
    assert_eq!(decode(&[&wire]), (typed(&chunks), Vec::new()));
});

/// `stream` cut into `lengths` in turn (all of it in one chunk when there are none).
fn chunks<'a>(stream: &'a [u8], lengths: &[u8]) -> Vec<&'a [u8]> {
    if lengths.is_empty() {
        return vec![stream];
    }
    let mut chunks = Vec::new();
    let mut rest = stream;
    for &length in lengths.iter().cycle() {
        if rest.is_empty() {
            break;
        }
        let (chunk, tail) = rest.split_at(usize::from(length).clamp(1, rest.len()));
        chunks.push(chunk);
        rest = tail;
    }
    chunks
}

/// Decode `chunks` with one fresh client codec: (data, answers).
fn decode(chunks: &[&[u8]]) -> (Vec<u8>, Vec<u8>) {
    let mut codec = TelnetCodec::new();
    let (mut data, mut answers) = (Vec::new(), Vec::new());
    for chunk in chunks {
        codec.decode(chunk, &mut data);
        answers.extend(codec.take_transmit());
    }
    (data, answers)
}

/// What a server's NVT reads when the client types `writes`: the codec's documented line ends,
/// written out as a model independent of its code.
fn typed(writes: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ended_in_cr = false;
    for write in writes {
        let write = match (ended_in_cr, write.split_first()) {
            (true, Some((b'\n', tail))) => tail,
            _ => write,
        };
        let mut i = 0;
        while i < write.len() {
            match (write[i], write.get(i + 1)) {
                (b'\r', Some(b'\n')) | (b'\r', None) | (b'\n', _) => {
                    out.extend_from_slice(b"\r\n");
                    i += usize::from(write[i] == b'\r' && write.get(i + 1).is_some());
                }
                (byte, _) => out.push(byte),
            }
            i += 1;
        }
        ended_in_cr = write.last() == Some(&b'\r');
    }
    out
}
