//! Interrupts: SIGINT (Ctrl-C), SIGTERM and SIGHUP end every command of `logoff-sim` within a second, with exit
//! status 130.
//!
//! Decisions:
//! - One handler for the whole process, installed first thing by the command line ([`install`]). It overrides a
//!   signal that was ignored when the process started (a non-interactive shell starts background jobs with SIGINT
//!   ignored): a `kill -INT` is always obeyed.
//! - A command that can stop cleanly with what it has (a sweep: its partial summary; `conform`: the runs so far)
//!   says so with [`graceful`]: the first signal only sets the flag it polls ([`requested`], [`flag`]), and it ends
//!   itself between two pieces of work (a chunk of seeds, a run). Every other command, and a second signal in any
//!   case, ends the process at once: "interrupted" on standard error, exit status 130.
//! - Before the process ends at once, the exit hooks run ([`on_exit`]): a program under test is killed with its
//!   whole process tree, so that nothing the tool started outlives it.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// The exit status of a command ended by a signal (128 + SIGINT, as a shell reports Ctrl-C).
pub const EXIT_INTERRUPTED: u8 = 130;

static STOP: AtomicBool = AtomicBool::new(false);
static GRACEFUL: AtomicBool = AtomicBool::new(false);

/// What runs before the process ends at once: each hook kills what the tool started.
type Hook = Box<dyn Fn() + Send>;
static HOOKS: Mutex<Vec<Hook>> = Mutex::new(Vec::new());

/// Installs the one handler of SIGINT, SIGTERM and SIGHUP. Called once, by `main`.
pub fn install() {
    // An error here (a handler already set) leaves the default action, which also ends the process.
    let _ = ctrlc::set_handler(handle);
}

fn handle() {
    if GRACEFUL.load(Ordering::SeqCst) && !STOP.swap(true, Ordering::SeqCst) {
        return;
    }
    STOP.store(true, Ordering::SeqCst);
    end();
}

/// Runs the exit hooks, says "interrupted" and ends the process with [`EXIT_INTERRUPTED`].
pub fn end() -> ! {
    let hooks = HOOKS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    for hook in hooks.iter() {
        hook();
    }
    let _ = writeln!(std::io::stderr(), "interrupted");
    std::process::exit(i32::from(EXIT_INTERRUPTED));
}

/// The calling command stops by itself at the first signal: it polls [`requested`] between pieces of work.
pub fn graceful() {
    GRACEFUL.store(true, Ordering::SeqCst);
}

/// Whether a signal asked the command to stop.
pub fn requested() -> bool {
    STOP.load(Ordering::SeqCst)
}

/// The flag a signal sets, for code that takes a stop flag.
pub fn flag() -> &'static AtomicBool {
    &STOP
}

/// Adds a hook that runs before the process ends at a signal (to kill a program the tool started).
pub fn on_exit(hook: impl Fn() + Send + 'static) {
    HOOKS.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(Box::new(hook));
}
