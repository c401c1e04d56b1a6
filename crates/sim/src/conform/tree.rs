//! Killing a program under test with everything it started. A process group is not enough: a grandchild that
//! calls `setsid` leaves it, and keeps the program's pipes open after the program is gone. On Linux the tool makes
//! itself a child subreaper (`prctl(PR_SET_CHILD_SUBREAPER)`), so that the orphans of a program become its own
//! children instead of init's; killing then walks /proc for every descendant of the program and every orphan the
//! tool has adopted, kills them, and reaps them. Elsewhere the program's process group is killed.

#[cfg(target_os = "linux")]
use std::time::{Duration, Instant};

/// How long a kill may take at most, so that the tool never hangs on a process that will not die.
#[cfg(target_os = "linux")]
const KILL_BOUND: Duration = Duration::from_secs(2);

/// Makes this process the reaper of its descendants' orphans (once; Linux only). Called before a program starts.
pub fn adopt_orphans() {
    #[cfg(target_os = "linux")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        // SAFETY: prctl(2) with PR_SET_CHILD_SUBREAPER takes integers only and changes an attribute of this
        // process; it touches no memory of ours.
        ONCE.call_once(|| unsafe {
            libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        });
    }
}

/// Every process as (pid, parent pid), from /proc.
#[cfg(target_os = "linux")]
fn processes() -> Vec<(i32, i32)> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|name| name.parse::<i32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // `pid (comm) state ppid ...`: the command name may hold spaces and parentheses, so read after the last `)`.
        let ppid = stat.rsplit_once(')').and_then(|(_, rest)| rest.split_whitespace().nth(1)?.parse().ok());
        if let Some(ppid) = ppid {
            found.push((pid, ppid));
        }
    }
    found
}

/// The processes to kill: `root` (if still unreaped), its descendants, and every child of this process that `others` does not name
/// (an orphan it adopted: the tool starts no child but the programs it tests), with their descendants.
#[cfg(target_os = "linux")]
fn targets(root: Option<i32>, others: &[i32]) -> Vec<i32> {
    let me = std::process::id() as i32;
    let all = processes();
    let mut found: Vec<i32> = root.into_iter().collect();
    let adopted = all.iter().filter(|(pid, ppid)| *ppid == me && Some(*pid) != root && !others.contains(pid));
    found.extend(adopted.map(|p| p.0));
    let mut next = 0;
    while next < found.len() {
        let parent = found[next];
        let children: Vec<i32> =
            all.iter().filter(|(pid, ppid)| *ppid == parent && !found.contains(pid)).map(|p| p.0).collect();
        found.extend(children);
        next += 1;
    }
    found.retain(|pid| all.iter().any(|(p, _)| p == pid));
    found
}

/// Kills `root` (a child of this process, which leads its own process group) and everything it started, and
/// reaps every process killed that is a child of this one, except `root` (its `Child` reaps it) and `others` (the
/// roots of other programs still running). Returns within about two seconds whatever happens.
///
/// `alive` says whether `root` is still unreaped: once reaped, its pid may be another process's, and only its
/// orphans (now children of this process) are looked for.
pub fn kill(root: u32, alive: bool, others: &[u32]) {
    let Ok(root) = i32::try_from(root) else { return };
    #[cfg(unix)]
    if alive {
        // SAFETY: kill(2) with a negative pid signals the process group the program leads (spawned with
        // process_group(0)); it touches no memory of ours.
        unsafe {
            libc::kill(-root, libc::SIGKILL);
        }
    }
    #[cfg(target_os = "linux")]
    {
        let others: Vec<i32> = others.iter().filter_map(|pid| i32::try_from(*pid).ok()).collect();
        let started = Instant::now();
        loop {
            let found = targets(alive.then_some(root), &others);
            if found.iter().all(|pid| *pid == root) || started.elapsed() > KILL_BOUND {
                return;
            }
            for pid in &found {
                // SAFETY: kill(2) on a pid just read from /proc, a descendant of the program or an orphan this
                // process adopted; it touches no memory of ours.
                unsafe {
                    libc::kill(*pid, libc::SIGKILL);
                }
            }
            // Reaps the killed children of this process (the others are reaped by their parents, or become
            // children of this process when their parents die, and are reaped in a later round).
            for pid in found.iter().filter(|pid| **pid != root) {
                // SAFETY: waitpid(2) on one pid with WNOHANG, the status written to a local.
                unsafe {
                    let mut status = 0;
                    libc::waitpid(*pid, &mut status, libc::WNOHANG);
                }
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = others;
}
