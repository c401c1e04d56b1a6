//! The profile: one value for each place where the pages leave a choice (SPEC.md section 4, knobs A1-A10).

use serde::{Deserialize, Serialize};
use std::fmt;

/// Declares a two-valued knob: the enum, its script names, and the default (the first value).
macro_rules! knob {
    ($(#[$doc:meta])* $ty:ident { $first:ident = $first_name:literal, $second:ident = $second_name:literal }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $ty {
            #[default]
            #[serde(rename = $first_name)]
            $first,
            #[serde(rename = $second_name)]
            $second,
        }

        impl $ty {
            pub const VALUES: [$ty; 2] = [$ty::$first, $ty::$second];

            pub const fn name(self) -> &'static str {
                match self {
                    $ty::$first => $first_name,
                    $ty::$second => $second_name,
                }
            }

            fn from_name(name: &str) -> Option<$ty> {
                $ty::VALUES.into_iter().find(|value| value.name() == name)
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

knob!(
    /// A1: when the store provider calls StoreLogoffTransports.
    CallSite { Deferred = "deferred", Eager = "eager" }
);
knob!(
    /// A2: whether ORDERLY sends the queued messages before it completes.
    Orderly { Keep = "keep", Drain = "drain" }
);
knob!(
    /// A3: what ABORT does while transport activity is taking place.
    Abort { Refuse = "refuse", Stop = "stop" }
);
knob!(
    /// A4: whether a non-empty outbound queue is transport activity for ABORT and QUIET.
    QueueIsActivity { Yes = "yes", No = "no" }
);
knob!(
    /// A5: which directions PURGE flushes.
    PurgeFlush { Upload = "upload", Both = "both" }
);
knob!(
    /// A6: the flags the spooler passes to TransportLogoff.
    TransportLogoffArg { Zero = "zero", Normal = "normal" }
);
knob!(
    /// A7: what StoreLogoff does with output-only bits set on input.
    InputCheck { Mask = "mask", Strict = "strict" }
);
knob!(
    /// A8: what StoreLogoff writes back under `deferred`.
    StoreLogoffOut { None = "none", Complete = "complete" }
);
knob!(
    /// A9: whether the provider calls StoreLogoffTransports at reference count zero after an earlier call.
    ZeroCall { Once = "once", UntilComplete = "until_complete" }
);
knob!(
    /// A10: what StoreLogoff does under `eager` while another client holds a reference to the store.
    EagerShared { Call = "call", Defer = "defer" }
);

/// One reading of the pages: a value for each knob. `Profile::default()` takes every default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Profile {
    pub call_site: CallSite,
    pub orderly: Orderly,
    pub abort: Abort,
    pub queue_is_activity: QueueIsActivity,
    pub purge_flush: PurgeFlush,
    pub transport_logoff_flags: TransportLogoffArg,
    pub input: InputCheck,
    pub storelogoff_out: StoreLogoffOut,
    pub zero_call: ZeroCall,
    pub eager_shared: EagerShared,
}

/// A knob name or value that is not one of SPEC.md section 4.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProfileError {
    UnknownKnob(String),
    UnknownValue {
        knob: &'static str,
        value: String,
        expected: [&'static str; 2],
    },
    /// The knob was already set by an earlier pair of the same profile.
    Repeated(&'static str),
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProfileError::UnknownKnob(knob) => {
                write!(f, "unknown knob `{knob}`; expected one of {}", Profile::KNOBS.join(", "))
            }
            ProfileError::UnknownValue { knob, value, expected } => {
                write!(f, "unknown value `{value}` for knob {knob}; expected `{}` or `{}`", expected[0], expected[1])
            }
            ProfileError::Repeated(knob) => write!(f, "knob {knob} is set twice; expected each knob at most once"),
        }
    }
}

impl std::error::Error for ProfileError {}

impl Profile {
    /// The knob names in the order of SPEC.md section 4 (A1..A10).
    pub const KNOBS: [&'static str; 10] = [
        "call_site",
        "orderly",
        "abort",
        "queue_is_activity",
        "purge_flush",
        "transport_logoff_flags",
        "input",
        "storelogoff_out",
        "zero_call",
        "eager_shared",
    ];

    /// The number of distinct profiles (two values for each of ten knobs).
    pub const COUNT: u32 = 1 << 10;

    /// Sets one knob by its script name and value name.
    pub fn set(&mut self, knob: &str, value: &str) -> Result<(), ProfileError> {
        fn pick<T: Copy>(
            knob: &'static str,
            value: &str,
            values: [T; 2],
            name: fn(T) -> &'static str,
            parse: fn(&str) -> Option<T>,
        ) -> Result<T, ProfileError> {
            parse(value).ok_or_else(|| ProfileError::UnknownValue {
                knob,
                value: value.to_string(),
                expected: [name(values[0]), name(values[1])],
            })
        }
        match knob {
            "call_site" => {
                self.call_site = pick("call_site", value, CallSite::VALUES, CallSite::name, CallSite::from_name)?
            }
            "orderly" => self.orderly = pick("orderly", value, Orderly::VALUES, Orderly::name, Orderly::from_name)?,
            "abort" => self.abort = pick("abort", value, Abort::VALUES, Abort::name, Abort::from_name)?,
            "queue_is_activity" => {
                self.queue_is_activity = pick(
                    "queue_is_activity",
                    value,
                    QueueIsActivity::VALUES,
                    QueueIsActivity::name,
                    QueueIsActivity::from_name,
                )?
            }
            "purge_flush" => {
                self.purge_flush =
                    pick("purge_flush", value, PurgeFlush::VALUES, PurgeFlush::name, PurgeFlush::from_name)?
            }
            "transport_logoff_flags" => {
                self.transport_logoff_flags = pick(
                    "transport_logoff_flags",
                    value,
                    TransportLogoffArg::VALUES,
                    TransportLogoffArg::name,
                    TransportLogoffArg::from_name,
                )?
            }
            "input" => self.input = pick("input", value, InputCheck::VALUES, InputCheck::name, InputCheck::from_name)?,
            "storelogoff_out" => {
                self.storelogoff_out = pick(
                    "storelogoff_out",
                    value,
                    StoreLogoffOut::VALUES,
                    StoreLogoffOut::name,
                    StoreLogoffOut::from_name,
                )?
            }
            "zero_call" => {
                self.zero_call = pick("zero_call", value, ZeroCall::VALUES, ZeroCall::name, ZeroCall::from_name)?
            }
            "eager_shared" => {
                self.eager_shared =
                    pick("eager_shared", value, EagerShared::VALUES, EagerShared::name, EagerShared::from_name)?
            }
            other => return Err(ProfileError::UnknownKnob(other.to_string())),
        }
        Ok(())
    }

    /// The value names of every knob, in the order of `KNOBS`.
    pub fn values(&self) -> [&'static str; 10] {
        [
            self.call_site.name(),
            self.orderly.name(),
            self.abort.name(),
            self.queue_is_activity.name(),
            self.purge_flush.name(),
            self.transport_logoff_flags.name(),
            self.input.name(),
            self.storelogoff_out.name(),
            self.zero_call.name(),
            self.eager_shared.name(),
        ]
    }

    /// The profile with bit `i` of `index` choosing the second value of knob `i` (A1 is bit 0).
    /// `from_index(0)` is the default profile; every index below `COUNT` is a distinct profile.
    pub fn from_index(index: u32) -> Profile {
        let bit = |i: u32| index >> i & 1 == 1;
        fn choose<T: Copy>(values: [T; 2], second: bool) -> T {
            values[usize::from(second)]
        }
        Profile {
            call_site: choose(CallSite::VALUES, bit(0)),
            orderly: choose(Orderly::VALUES, bit(1)),
            abort: choose(Abort::VALUES, bit(2)),
            queue_is_activity: choose(QueueIsActivity::VALUES, bit(3)),
            purge_flush: choose(PurgeFlush::VALUES, bit(4)),
            transport_logoff_flags: choose(TransportLogoffArg::VALUES, bit(5)),
            input: choose(InputCheck::VALUES, bit(6)),
            storelogoff_out: choose(StoreLogoffOut::VALUES, bit(7)),
            zero_call: choose(ZeroCall::VALUES, bit(8)),
            eager_shared: choose(EagerShared::VALUES, bit(9)),
        }
    }

    /// The inverse of `from_index`.
    pub fn index(&self) -> u32 {
        let defaults = Profile::default().values();
        self.values()
            .iter()
            .zip(defaults)
            .enumerate()
            .map(|(i, (value, default))| u32::from(*value != default) << i)
            .sum()
    }
}

/// Writes the profile as `knob=value` pairs separated by spaces, every knob named, in the order of `KNOBS`.
impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (knob, value)) in Profile::KNOBS.iter().zip(self.values()).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{knob}={value}")?;
        }
        Ok(())
    }
}

impl Profile {
    /// The one reader of `knob=value` pairs, for the command line and for a script's `profile` line alike: each
    /// knob at most once, unnamed knobs keep their default. On error, the index of the offending pair.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Profile, (usize, ProfileError)> {
        let mut profile = Profile::default();
        let mut set = [false; Profile::KNOBS.len()];
        for (index, (knob, value)) in pairs.into_iter().enumerate() {
            profile.set(knob, value).map_err(|error| (index, error))?;
            // `set` accepted the knob, so it is one of KNOBS.
            if let Some(position) = Profile::KNOBS.iter().position(|name| *name == knob) {
                if set[position] {
                    return Err((index, ProfileError::Repeated(Profile::KNOBS[position])));
                }
                set[position] = true;
            }
        }
        Ok(profile)
    }
}

/// Reads `default`, or `knob=value` pairs separated by commas or white space (the form `Display` writes and the
/// command line takes), through [`Profile::from_pairs`]. An empty item (`a=b,,c=d`, a comma at either end) is an
/// error, as is an empty profile.
impl std::str::FromStr for Profile {
    type Err = String;

    fn from_str(text: &str) -> Result<Profile, String> {
        const EXPECTED: &str = "expected `default` or pairs like call_site=eager,orderly=drain";
        if text.trim() == "default" {
            return Ok(Profile::default());
        }
        if text.trim().is_empty() {
            return Err(format!("the profile is empty; {EXPECTED}"));
        }
        let mut pairs = Vec::new();
        for item in text.split(',') {
            if item.trim().is_empty() {
                return Err(format!("the profile `{text}` has an empty item; {EXPECTED}"));
            }
            for pair in item.split_whitespace() {
                let split = pair.split_once('=');
                pairs.push(split.ok_or_else(|| format!("`{pair}` is not knob=value; {EXPECTED}"))?);
            }
        }
        Profile::from_pairs(pairs).map_err(|(_, error)| error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shows that every profile index names a distinct profile and survives a round trip through its text.
    #[test]
    fn profiles_round_trip_through_index_and_text() {
        let mut seen = std::collections::BTreeSet::new();
        for index in 0..Profile::COUNT {
            let profile = Profile::from_index(index);
            assert_eq!(profile.index(), index);
            assert!(seen.insert(profile.to_string()), "profile {index} is a duplicate");
            assert_eq!(profile.to_string().parse::<Profile>(), Ok(profile));
        }
        assert_eq!(Profile::from_index(0), Profile::default());
    }

    /// Shows that unknown knobs and values are errors naming what was expected.
    #[test]
    fn unknown_knobs_and_values_are_errors() {
        let mut profile = Profile::default();
        let err = profile.set("call_sites", "eager").unwrap_err();
        assert!(err.to_string().contains("unknown knob `call_sites`"), "{err}");
        let err = profile.set("orderly", "Drain").unwrap_err();
        assert_eq!(err.to_string(), "unknown value `Drain` for knob orderly; expected `keep` or `drain`");
        assert_eq!(profile, Profile::default(), "a failed set changes nothing");
        assert_eq!("default".parse::<Profile>(), Ok(Profile::default()));
        assert_eq!(
            "".parse::<Profile>().unwrap_err(),
            "the profile is empty; expected `default` or pairs like call_site=eager,orderly=drain"
        );
        assert!("call_site".parse::<Profile>().unwrap_err().contains("is not knob=value"));
        let eager: Profile = "call_site=eager,orderly=drain".parse().unwrap();
        assert_eq!((eager.call_site, eager.orderly), (CallSite::Eager, Orderly::Drain));
    }

    /// Shows that the command line's reader refuses what a script's `profile` line refuses (issue 7, item 6): a knob
    /// set twice, whatever the values, and an empty item; and that it reads back what `Display` writes.
    #[test]
    fn repeated_knobs_and_empty_items_are_errors() {
        let twice = "call_site=eager,call_site=deferred".parse::<Profile>().unwrap_err();
        assert_eq!(twice, "knob call_site is set twice; expected each knob at most once");
        assert!("orderly=drain orderly=drain".parse::<Profile>().unwrap_err().contains("set twice"));
        for empty in ["call_site=eager,,orderly=drain", ",call_site=eager", "call_site=eager,", " , "] {
            assert!(empty.parse::<Profile>().unwrap_err().contains("empty"), "{empty:?}");
        }
        assert_eq!(
            Profile::from_pairs([("abort", "stop"), ("abort", "stop")]),
            Err((1, ProfileError::Repeated("abort")))
        );
        for index in [0, 1, 170, 511, 512, 1023] {
            let profile = Profile::from_index(index);
            assert_eq!(profile.to_string().parse::<Profile>(), Ok(profile));
        }
    }
}
