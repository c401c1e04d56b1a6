//! Flags and HRESULTs with the values of the public MAPI headers (SPEC.md section 2).

use bitflags::bitflags;
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::profile::InputCheck;

bitflags! {
    /// `lpulFlags` of `IMsgStore::StoreLogoff` and `IMAPISupport::StoreLogoffTransports`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    pub struct LogoffFlags: u32 {
        const NO_WAIT = 0x0000_0001;
        const ORDERLY = 0x0000_0002;
        const PURGE = 0x0000_0004;
        const ABORT = 0x0000_0008;
        const QUIET = 0x0000_0010;
        const COMPLETE = 0x0001_0000;
        const INBOUND = 0x0002_0000;
        const OUTBOUND = 0x0004_0000;
        const OUTBOUND_QUEUE = 0x0008_0000;
    }
}

impl LogoffFlags {
    /// The five mutually exclusive input modes.
    pub const MODES: LogoffFlags = LogoffFlags::from_bits_retain(0x1F);
    /// The bits that are only meaningful on output.
    pub const OUTPUT: LogoffFlags = LogoffFlags::from_bits_retain(0x000F_0000);
    /// The activity flags of R13 (output, beside COMPLETE).
    pub const ACTIVITY: LogoffFlags = LogoffFlags::from_bits_retain(0x000E_0000);
}

bitflags! {
    /// `ulFlags` of `IXPLogon::FlushQueues`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    pub struct FlushFlags: u32 {
        const UPLOAD = 0x02;
        const DOWNLOAD = 0x04;
        const FORCE = 0x08;
        const NO_UI = 0x10;
        const ASYNC_OK = 0x20;
    }
}

bitflags! {
    /// `ulFlags` of `IXPLogon::TransportLogoff`: MAPISPI.h defines these, page 003 says "reserved" (A6).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
    pub struct TransportLogoffFlags: u32 {
        const NORMAL = 0x0000_0001;
        const HURRY = 0x8000_0000;
    }
}

/// Writes a flag set as `NAME|NAME|0x100`: the names of the known bits in ascending order, then any other bits
/// as one hexadecimal number; `0` for the empty set. This is the script syntax of SPEC.md section 6.
fn write_flags(
    f: &mut fmt::Formatter<'_>,
    bits: u32,
    names: &mut dyn Iterator<Item = (&'static str, u32)>,
) -> fmt::Result {
    if bits == 0 {
        return f.write_str("0");
    }
    let mut rest = bits;
    let mut first = true;
    for (name, bit) in names {
        if bits & bit == bit && bit != 0 {
            if !first {
                f.write_str("|")?;
            }
            f.write_str(name)?;
            first = false;
            rest &= !bit;
        }
    }
    if rest != 0 {
        if !first {
            f.write_str("|")?;
        }
        write!(f, "{rest:#x}")?;
    }
    Ok(())
}

macro_rules! display_flags {
    ($ty:ty) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut names = Self::all().iter_names().map(|(name, flag)| (name, flag.bits()));
                write_flags(f, self.bits(), &mut names)
            }
        }
    };
}
display_flags!(LogoffFlags);
display_flags!(FlushFlags);
display_flags!(TransportLogoffFlags);

/// The logoff mode: the one input flag of a valid StoreLogoff (R1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Mode {
    NoWait,
    Orderly,
    Purge,
    Abort,
    Quiet,
}

impl Mode {
    pub const ALL: [Mode; 5] = [Mode::NoWait, Mode::Orderly, Mode::Purge, Mode::Abort, Mode::Quiet];

    pub const fn flag(self) -> LogoffFlags {
        match self {
            Mode::NoWait => LogoffFlags::NO_WAIT,
            Mode::Orderly => LogoffFlags::ORDERLY,
            Mode::Purge => LogoffFlags::PURGE,
            Mode::Abort => LogoffFlags::ABORT,
            Mode::Quiet => LogoffFlags::QUIET,
        }
    }

    /// The script name of the mode (`NO_WAIT`, ...), as in `expect transports-calls`.
    pub const fn name(self) -> &'static str {
        match self {
            Mode::NoWait => "NO_WAIT",
            Mode::Orderly => "ORDERLY",
            Mode::Purge => "PURGE",
            Mode::Abort => "ABORT",
            Mode::Quiet => "QUIET",
        }
    }

    /// Whether a StoreLogoffTransports call in this mode may stay in progress (SPEC.md section 5).
    pub const fn blocks(self) -> bool {
        matches!(self, Mode::NoWait | Mode::Orderly | Mode::Purge)
    }

    /// R1 and A7: the mode of raw StoreLogoff input flags, or MAPI_E_INVALID_PARAMETER.
    pub fn from_input(raw: u32, check: InputCheck) -> Result<Mode, HResult> {
        let known = LogoffFlags::MODES.bits() | LogoffFlags::OUTPUT.bits();
        if raw & !known != 0 {
            return Err(HResult::INVALID_PARAMETER);
        }
        if check == InputCheck::Strict && raw & LogoffFlags::OUTPUT.bits() != 0 {
            return Err(HResult::INVALID_PARAMETER);
        }
        let modes = raw & LogoffFlags::MODES.bits();
        Mode::ALL.into_iter().find(|mode| mode.flag().bits() == modes).ok_or(HResult::INVALID_PARAMETER)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A COM HRESULT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct HResult(pub u32);

impl HResult {
    pub const S_OK: HResult = HResult(0);
    pub const CALL_FAILED: HResult = HResult(0x8000_4005);
    pub const INVALID_PARAMETER: HResult = HResult(0x8007_0057);
    pub const INVALID_OBJECT: HResult = HResult(0x8004_0108);
    pub const NO_SUPPORT: HResult = HResult(0x8004_0102);
    pub const BUSY: HResult = HResult(0x8004_010B);

    /// Every named HRESULT with its script name.
    pub const NAMED: [(&'static str, HResult); 6] = [
        ("S_OK", HResult::S_OK),
        ("MAPI_E_CALL_FAILED", HResult::CALL_FAILED),
        ("MAPI_E_INVALID_PARAMETER", HResult::INVALID_PARAMETER),
        ("MAPI_E_INVALID_OBJECT", HResult::INVALID_OBJECT),
        ("MAPI_E_NO_SUPPORT", HResult::NO_SUPPORT),
        ("MAPI_E_BUSY", HResult::BUSY),
    ];

    pub fn name(self) -> Option<&'static str> {
        HResult::NAMED.iter().find(|(_, hr)| *hr == self).map(|(name, _)| *name)
    }

    pub fn from_name(name: &str) -> Option<HResult> {
        HResult::NAMED.iter().find(|(n, _)| *n == name).map(|(_, hr)| *hr)
    }
}

impl fmt::Display for HResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "{:#010x}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shows R1 and A7 over all 32 combinations of the five mode bits, alone, with an output-only bit and with
    /// an undefined bit, under both readings of A7.
    #[test]
    fn input_validation_covers_every_mode_combination() {
        for check in [InputCheck::Mask, InputCheck::Strict] {
            for modes in 0u32..32 {
                let exactly_one = modes.count_ones() == 1;
                let plain = Mode::from_input(modes, check);
                assert_eq!(plain.is_ok(), exactly_one, "modes {modes:#x} under {check:?}");
                if let Ok(mode) = plain {
                    assert_eq!(mode.flag().bits(), modes);
                }
                for output in [0x0001_0000u32, 0x0002_0000, 0x0004_0000, 0x0008_0000, 0x000F_0000] {
                    let with_output = Mode::from_input(modes | output, check);
                    let expected_ok = exactly_one && check == InputCheck::Mask;
                    assert_eq!(with_output.is_ok(), expected_ok, "{:#x} under {check:?}", modes | output);
                    if let Ok(mode) = with_output {
                        assert_eq!(Ok(mode), plain, "the output bits are masked, not read");
                    }
                }
                for undefined in [0x20u32, 0x100, 0x0010_0000, 0x8000_0000] {
                    assert_eq!(
                        Mode::from_input(modes | undefined, check),
                        Err(HResult::INVALID_PARAMETER),
                        "{:#x} under {check:?}",
                        modes | undefined
                    );
                }
            }
        }
    }

    /// Shows that flag sets print in the script syntax, unknown bits as one number.
    #[test]
    fn flags_print_in_script_syntax() {
        assert_eq!(LogoffFlags::empty().to_string(), "0");
        assert_eq!((LogoffFlags::COMPLETE | LogoffFlags::OUTBOUND_QUEUE).to_string(), "COMPLETE|OUTBOUND_QUEUE");
        assert_eq!(LogoffFlags::from_bits_retain(0x121).to_string(), "NO_WAIT|0x120");
        assert_eq!((FlushFlags::UPLOAD | FlushFlags::DOWNLOAD).to_string(), "UPLOAD|DOWNLOAD");
        assert_eq!(TransportLogoffFlags::NORMAL.to_string(), "NORMAL");
        assert_eq!(HResult::INVALID_OBJECT.to_string(), "MAPI_E_INVALID_OBJECT");
        assert_eq!(HResult(0x1234).to_string(), "0x00001234");
    }
}
