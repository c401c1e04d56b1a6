//! Fuzzes the scenario-script parser (SPEC.md section 6): no input makes it panic; a rejected input gets a one-line
//! `FILE:LINE:COLUMN: error: ...; expected ...` message; an accepted one round-trips through its canonical text
//! (`Display`), which is accepted again and written the same.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sim::script;

const FILE: &str = "fuzz.scn";

fuzz_target!(|data: &[u8]| {
    match script::parse(data, FILE) {
        Ok(parsed) => {
            assert!(parsed.steps() >= 1, "a script without a step was accepted");
            let text = parsed.to_string();
            let again = script::parse(text.as_bytes(), FILE)
                .unwrap_or_else(|error| panic!("the canonical text is rejected: {error}\n{text}"));
            assert_eq!(again.to_string(), text, "the canonical text changed");
            assert_eq!((again.profile, again.setup), (parsed.profile, parsed.setup));
            let kinds = |s: &script::Script| s.items.iter().map(|item| item.kind.clone()).collect::<Vec<_>>();
            assert!(kinds(&again) == kinds(&parsed), "the items changed");
        }
        Err(error) => {
            let message = error.to_string();
            assert!(!message.chars().any(|c| c.is_control() && c != '\t'), "not one line: {message:?}");
            let prefix = format!("{FILE}:{}:{}: error: ", error.line, error.column);
            assert!(message.starts_with(&prefix) && error.line >= 1 && error.column >= 1, "{message}");
            assert!(message.contains("; expected "), "{message}");
        }
    }
});
