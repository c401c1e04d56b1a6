//! Traces as pictures (issue 9, item 3): what `logoff-sim render` draws, the pictures checked in under
//! `docs/pictures/`, the render command that every failure report names, and the SVG and HTML loaded in a real
//! headless browser.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use logoff_core::Mutant;
use sim::render::{render, Picture};

mod common;

/// The two canonical failures drawn in docs/pictures: a safety violation in one step, and a call that never
/// returns (a blocked span to the end).
const CANONICAL: [(&str, &str); 2] = [
    ("transports-at-first-release", "tests/mutants/transports-at-first-release.scn"),
    ("late-return", "tests/mutants/late-return.scn"),
];

/// A fresh, empty directory of this test run.
fn scratch(name: &str) -> PathBuf {
    common::scratch("render", name)
}

/// Runs the binary at the workspace root (where the printed commands are meant to be pasted).
fn logoff_sim(args: &[&str]) -> Output {
    common::logoff_sim_in(&common::workspace_dir(""), args)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A checked-in script, parsed, with its mutant; named by its path from the workspace root, as the CLI names it.
fn script(relative: &str, mutant: &str) -> sim::script::Script {
    let source = std::fs::read(common::workspace_dir(relative)).unwrap();
    let mut script = sim::script::parse(&source, relative).unwrap();
    script.mutant = mutant.parse::<Mutant>().unwrap();
    script
}

/// Shows that the diagram has one lane per actor, one arrow per call and per return, the blocked call as a span,
/// and the violating step in red with the invariant's name and requirements, in all three forms.
#[test]
fn a_failure_is_drawn_with_its_lanes_its_spans_and_its_red_step() {
    let (mutant, path) = CANONICAL[0];
    let failing = script(path, mutant);
    let svg = render(&failing, path, Picture::Svg);
    // clients=2 transports=0: two clients, the store provider, the spooler.
    assert_eq!(svg.matches(r#"<g class="lane""#).count(), 4, "{svg}");
    for lane in ["c0", "c1", "store", "spooler"] {
        assert!(svg.contains(&format!(r#"data-lane="{lane}""#)), "no lane {lane}");
    }
    assert_eq!(svg.matches(r#"class="step violation""#).count(), 1);
    assert!(svg.contains("transports-call-site (R2, R3, R4, A1, A9, A10)"), "{svg}");
    assert!(svg.contains(r##"stroke="#c00000""##), "the violating step's arrows are red");
    // c1 release: the call, StoreLogoffTransports, the spooler's Release, the return of StoreLogoffTransports,
    // the return of Release: five arrows.
    assert_eq!(svg.matches(r#"<line class="arrow""#).count(), 5, "{svg}");
    let mermaid = render(&failing, path, Picture::Mermaid);
    assert!(mermaid.starts_with("%% "), "{mermaid}");
    assert!(mermaid.contains("sequenceDiagram\n"));
    assert!(mermaid.contains("participant spooler as spooler (MAPI spooler)"));
    assert!(mermaid.contains("    rect rgb(255, 200, 200)\n"));
    assert!(mermaid.contains("c1->>store: 1. Release"));
    assert!(mermaid.contains("store-->>c1: Release returned 1"));
    assert!(mermaid.contains("transports-call-site (R2, R3, R4, A1, A9, A10)"));
    let html = render(&failing, path, Picture::Html);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains(&svg), "the page holds the SVG itself");
    assert!(!html.contains("src=") && !html.contains("href="), "the page fetches nothing");

    let (mutant, path) = CANONICAL[1];
    let svg = render(&script(path, mutant), path, Picture::Svg);
    assert!(svg.contains(r#"class="blocked still-blocked""#), "c0's NO_WAIT never returns: {svg}");
    assert!(svg.contains("liveness (R21)"));
}

/// Shows that a clean run draws nothing red, and that every mutant's shrunk script is drawn red.
#[test]
fn red_exactly_where_the_checker_finds_a_violation() {
    let path = "tests/scenarios/a2-orderly-keep.scn";
    let clean = script(path, "none");
    let svg = render(&clean, path, Picture::Svg);
    assert!(!svg.contains("violation"), "{svg}");
    let html = render(&clean, path, Picture::Html);
    assert!(html.contains("clean: no invariant broken"));
    // Every checked-in mutant script is drawn red exactly when the checker finds its violation, and clean under
    // the reference model.
    for path in common::files("tests/mutants", "scn") {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let relative = format!("tests/mutants/{name}.scn");
        let broken = script(&relative, &name);
        let red = render(&broken, &relative, Picture::Svg).contains("class=\"step violation");
        let fails = sim::liveness::verify_script(&broken).is_err_and(|e| e.to_string().contains("invariant violated"));
        assert!(red && fails, "{relative}: drawn red {red}, broken {fails}");
        let reference = script(&relative, "none");
        assert!(!render(&reference, &relative, Picture::Svg).contains("violation"), "{relative} under the reference");
    }
}

/// Shows that the pictures checked in under docs/pictures are what `render` draws today (regenerate them with the
/// command in the failure message).
#[test]
fn the_checked_in_pictures_are_up_to_date() {
    for (mutant, path) in CANONICAL {
        let picture = format!("docs/pictures/{mutant}.svg");
        let drawn = render(&script(path, mutant), path, Picture::Svg);
        let checked_in = std::fs::read_to_string(common::workspace_dir(&picture)).unwrap_or_default();
        assert!(
            checked_in == drawn,
            "{picture} is out of date; regenerate it with\n  {} render --mutant {mutant} {path} -o {picture}",
            sim::output::COMMAND
        );
    }
}

/// Shows that the same input draws the same bytes, whichever way it is given: a seed, or the seed file of it.
#[test]
fn rendering_is_deterministic() {
    let first = logoff_sim(&["render", "--seed", "14", "--to", "svg"]);
    let second = logoff_sim(&["render", "--seed", "14", "--to", "svg"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert_eq!(first.stdout, second.stdout);
    assert!(text(&first.stdout).starts_with("<svg "));
}

/// Shows that `run` and `sweep` name the render command of every failure they report, and that the command, run
/// as printed, writes the page.
#[test]
fn every_failure_report_names_a_render_command_that_works() {
    let directory = scratch("reports");
    let failures = directory.join("failures").display().to_string();
    let run = logoff_sim(&["run", "--seed", "0", "--mutant", "transports-at-first-release", "--failures", &failures]);
    assert_eq!(run.status.code(), Some(1));
    let stderr = text(&run.stderr);
    let line = stderr.lines().find_map(|l| l.strip_prefix("render: ")).unwrap_or_else(|| panic!("{stderr}"));
    let sweep = logoff_sim(&[
        "sweep",
        "--seeds",
        "0..50",
        "--mutant",
        "transports-at-first-release",
        "--quiet",
        "--failures",
        &failures,
    ]);
    let sweep_err = text(&sweep.stderr);
    let fails = sweep_err.matches("FAIL seed").count();
    assert!(fails > 0, "{sweep_err}");
    assert_eq!(sweep_err.matches("\n  render: ").count(), fails, "{sweep_err}");
    let mutants = logoff_sim(&["mutants", "--seeds", "200", "--out", &directory.join("m").display().to_string()]);
    assert!(text(&mutants.stdout).contains(" render --mutant NAME "), "{}", text(&mutants.stdout));
    // Run the printed command (without its `-o`, which would write into the workspace) as a shell would.
    let words = sim::conform::words(line).expect("a printed command splits into words");
    let at = words.iter().position(|w| w == "render").unwrap();
    let out_at = words.iter().position(|w| w == "-o").unwrap();
    let page = directory.join(&words[out_at + 1]);
    let mut args: Vec<String> = words[at..out_at].to_vec();
    args.extend(["-o".to_string(), page.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let drawn = logoff_sim(&args);
    assert!(drawn.status.success(), "{args:?}: {}", text(&drawn.stderr));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("class=\"step violation"), "the page of a failing run shows the red step");
}

/// Shows that bad input gets a clear error and exit 2: an output whose kind cannot be told, and a missing file.
#[test]
fn bad_render_input_is_refused() {
    let output = logoff_sim(&["render", "--seed", "1", "-o", "picture.png"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("expected --to mermaid|svg|html"), "{}", text(&output.stderr));
    let output = logoff_sim(&["render", "no-such-file.scn"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("no-such-file.scn: error:"), "{}", text(&output.stderr));
    let output = logoff_sim(&["render", "--mutant", "late-return", "sim-seeds/purge-blocked.seed"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("a seed file names its own mutant"), "{}", text(&output.stderr));
}

// ---- The headless browser -----------------------------------------------------------------------------------

/// The browser to test with: `$CHROMIUM`, or `chromium`, `chromium-browser` or `google-chrome` on PATH.
fn browser() -> Option<PathBuf> {
    let candidates = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .into_iter()
        .chain(["chromium", "chromium-browser", "google-chrome"].iter().map(PathBuf::from));
    candidates.into_iter().find(|candidate| {
        Command::new(candidate)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    })
}

/// Runs the browser headless on `url` with `args`, killing it after a minute.
fn headless(browser: &Path, profile: &Path, url: &str, args: &[&str]) -> Output {
    let mut child = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the browser starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("the browser can be waited for").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the browser did not finish within a minute on {url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("the browser's output can be read")
}

/// What a screenshot shows: its size, and how many pixels are not white, red (the violating step) and the pale
/// blue of the lanes' heads.
#[derive(Debug)]
struct Pixels {
    width: u32,
    height: u32,
    ink: usize,
    red: usize,
    lane_blue: usize,
}

fn pixels(png_path: &Path) -> Pixels {
    let decoder = png::Decoder::new(std::fs::File::open(png_path).expect("the screenshot exists"));
    let mut reader = decoder.read_info().expect("the screenshot is a PNG");
    let mut buffer = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buffer).expect("the screenshot decodes");
    let channels = info.color_type.samples();
    assert!(info.bit_depth == png::BitDepth::Eight && channels >= 3, "{info:?}");
    let mut counts = Pixels { width: info.width, height: info.height, ink: 0, red: 0, lane_blue: 0 };
    for pixel in buffer[..info.buffer_size()].chunks(channels) {
        let (r, g, b) = (i32::from(pixel[0]), i32::from(pixel[1]), i32::from(pixel[2]));
        if r < 235 || g < 235 || b < 235 {
            counts.ink += 1;
        }
        if r > 150 && g < 70 && b < 70 {
            counts.red += 1;
        }
        if (r - 0xdd).abs() < 8 && (g - 0xf4).abs() < 8 && (b - 0xff).abs() < 8 {
            counts.lane_blue += 1;
        }
    }
    counts
}

/// Loads the canonical failures' SVG and HTML in headless Chromium, takes screenshots, and checks that they are
/// not blank, that the lanes and the red step are on them, and that the page's script steps through the run.
/// Skipped, saying why, where no browser is installed; `.ci/run` installs Debian's `chromium` and sets
/// LOGOFF_SIM_NO_SKIP=1, under which a missing browser fails the test.
#[test]
fn pictures_show_in_a_real_browser() {
    let Some(browser) = browser() else {
        let why = "no headless browser found (tried $CHROMIUM, chromium, chromium-browser, google-chrome); \
                   install Debian's chromium package (`apt-get install chromium`), as .ci/run does";
        common::skip("pictures_show_in_a_real_browser", why);
        return;
    };
    let directory = scratch("browser");
    let profile = directory.join("profile");

    // A blank page is told apart from a picture: the check can fail.
    let blank = directory.join("blank.html");
    std::fs::write(&blank, "<!DOCTYPE html><html><body></body></html>").unwrap();
    let shot = directory.join("blank.png");
    let url = format!("file://{}", blank.display());
    headless(&browser, &profile, &url, &[&format!("--screenshot={}", shot.display()), "--window-size=800,600"]);
    let seen = pixels(&shot);
    assert!(seen.ink < 100 && seen.red == 0, "a blank page: {seen:?}");

    for (mutant, path) in CANONICAL {
        for extension in ["svg", "html"] {
            let file = directory.join(format!("{mutant}.{extension}"));
            let file_text = file.display().to_string();
            let output = logoff_sim(&["render", "--mutant", mutant, path, "-o", &file_text]);
            assert!(output.status.success(), "{}", text(&output.stderr));
            let shot = directory.join(format!("{mutant}-{extension}.png"));
            let url = format!("file://{file_text}");
            headless(
                &browser,
                &profile,
                &url,
                &[&format!("--screenshot={}", shot.display()), "--window-size=1600,900"],
            );
            let seen = pixels(&shot);
            let area = (seen.width * seen.height) as usize;
            assert!((seen.width, seen.height) == (1600, 900), "{seen:?}");
            assert!(seen.ink * 50 > area, "{mutant}.{extension}: the screenshot is almost blank: {seen:?}");
            assert!(seen.red > 200, "{mutant}.{extension}: no red step on the screenshot: {seen:?}");
            assert!(seen.lane_blue > 500, "{mutant}.{extension}: no lanes on the screenshot: {seen:?}");
        }
    }

    // The page's script ran: it says where it is, and `#step=N` hides the later steps.
    let (mutant, path) = CANONICAL[1];
    let file = directory.join(format!("{mutant}.html"));
    let url = format!("file://{}#step=1", file.display());
    let dom = text(&headless(&browser, &profile, &url, &["--dump-dom"]).stdout);
    let steps = script(path, mutant).steps();
    assert!(dom.contains(&format!("<span id=\"position\">step 1 of {steps}</span>")), "{dom}");
    assert!(dom.contains("data-step=\"3\" data-line") && dom.contains("visibility: hidden"), "{dom}");
    for lane in ["c0", "store", "spooler", "t0"] {
        assert!(dom.contains(&format!("data-lane=\"{lane}\"")), "no lane {lane} in the page");
    }
}
