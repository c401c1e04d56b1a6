//! Fuzzes the seed-file parser (sim-seeds/README.md): no input makes it panic; a rejected input gets a one-line
//! `FILE:LINE[:COLUMN]: error: ...` message; an accepted one round-trips through its canonical text (`Display`),
//! which is accepted again and written the same.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sim::seedfile::SeedFile;

const FILE: &str = "fuzz.seed";

fuzz_target!(|data: &[u8]| {
    match SeedFile::parse(data, FILE) {
        Ok(parsed) => {
            let text = parsed.to_string();
            let again = SeedFile::parse(text.as_bytes(), FILE)
                .unwrap_or_else(|error| panic!("the canonical text is rejected: {error}\n{text}"));
            assert_eq!(again.to_string(), text, "the canonical text changed");
            assert_eq!((again.seed, again.expect, &again.why), (parsed.seed, parsed.expect, &parsed.why));
            assert_eq!(again.script.mutant, parsed.script.mutant);
        }
        Err(error) => {
            let message = error.to_string();
            assert!(!message.chars().any(|c| c.is_control() && c != '\t'), "not one line: {message:?}");
            let place = match error.column {
                Some(column) => format!("{FILE}:{}:{column}: error: ", error.line),
                None => format!("{FILE}:{}: error: ", error.line),
            };
            assert!(message.starts_with(&place) && error.line >= 1, "{message}");
        }
    }
});
