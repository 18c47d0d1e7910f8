//! The pictures of a real run: the HTML report of a share program whose child never
//! detaches, read with an XML parser (the timeline of its failed round trip: lanes, spans,
//! marks, the pinned check), then shown in headless Chromium at 100% and 200% zoom and
//! checked for text drawn over text; and `shmlab trace --html`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The report of `shmlab check share` on the Rust fixture whose child never calls shmdt,
/// written with `--format html --output` into `dir`.
fn share_report(dir: &Path) -> PathBuf {
    let bins = common::built("shmlab-fixtures");
    let program = &bins["bug-share-child-never-detaches"];
    let out = dir.join("report.html");
    let run = common::shmlab()
        .args(["check", "share", "--format", "html", "--output"])
        .arg(&out)
        .arg("--program")
        .arg(program)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(1), "the fixture fails: {run:?}");
    assert!(run.stdout.is_empty(), "the report went to the file");
    out
}

fn parse(text: &str) -> roxmltree::Document<'_> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    roxmltree::Document::parse_with_options(text, options).expect("the page is well-formed XML")
}

fn class_is(n: &roxmltree::Node<'_, '_>, class: &str) -> bool {
    n.attribute("class")
        .is_some_and(|c| c.split(' ').any(|w| w == class))
}

fn title_of(n: &roxmltree::Node<'_, '_>) -> String {
    n.children()
        .find(|c| c.tag_name().name() == "title")
        .and_then(|t| t.text())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn the_html_report_draws_the_failed_share_round_trip_with_both_processes_and_the_pinned_check() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(share_report(dir.path())).unwrap();
    let doc = parse(&text);
    // Self-contained: no script, nothing fetched.
    for n in doc.descendants() {
        assert_ne!(n.tag_name().name(), "script");
        assert!(n.attribute("src").is_none(), "{n:?} loads something");
    }
    assert!(!text.contains("http://") || !text.contains("<link"));
    // The summary comes first.
    let body = doc
        .descendants()
        .find(|n| n.tag_name().name() == "body")
        .unwrap();
    let first = body.descendants().find(|n| class_is(n, "summary")).unwrap();
    assert!(
        first.text().unwrap().starts_with("5 scenarios:"),
        "{:?}",
        first.text()
    );
    let scenario = doc
        .descendants()
        .find(|n| {
            n.tag_name().name() == "details"
                && n.descendants()
                    .any(|c| c.text() == Some("share/round-trip"))
        })
        .expect("the round trip's section");
    assert_eq!(
        scenario.attribute("open"),
        Some("open"),
        "a failed scenario is open"
    );
    let svg = scenario
        .descendants()
        .find(|n| n.tag_name().name() == "svg")
        .expect("the round trip is drawn");
    let all = |class: &str| -> Vec<roxmltree::Node<'_, '_>> {
        svg.descendants().filter(|n| class_is(n, class)).collect()
    };
    let lanes = all("lane");
    assert_eq!(lanes.len(), 2, "the parent and its child");
    let parent: i32 = lanes[0].attribute("data-pid").unwrap().parse().unwrap();
    let child: i32 = lanes[1].attribute("data-pid").unwrap().parse().unwrap();
    assert!(title_of(&lanes[1]).contains(&format!("child of {parent}")));
    // The parent's attachment ends at its shmdt; the child's, inherited, at its exit.
    let spans = all("span");
    let ended: Vec<(String, &str)> = spans
        .iter()
        .map(|s| {
            (
                s.attribute("data-pid").unwrap().to_string(),
                s.attribute("data-ended").unwrap(),
            )
        })
        .collect();
    assert!(ended.contains(&(parent.to_string(), "shmdt")), "{ended:?}");
    assert!(ended.contains(&(child.to_string(), "exit")), "{ended:?}");
    let marks = all("mark");
    assert!(marks.len() >= 6, "{}", marks.len());
    assert!(
        marks.iter().all(|m| !title_of(m).is_empty()),
        "every mark has its line"
    );
    assert!(marks
        .iter()
        .any(|m| m.attribute("data-kind") == Some("fork")));
    let exit = marks
        .iter()
        .find(|m| m.attribute("data-kind") == Some("exit"))
        .expect("the child's exit is drawn");
    assert!(
        title_of(exit).contains("still attached to segment "),
        "{}",
        title_of(exit)
    );
    let band = all("band");
    assert_eq!(band.len(), 1);
    assert_eq!(band[0].attribute("data-fate"), Some("destroyed"));
    assert_eq!(all("nattch").len(), 1);
    // The child's missing shmdt, pinned at its exit, with its hint under the picture.
    let pins = all("pin");
    assert_eq!(pins.len(), 1, "{pins:?}");
    assert!(title_of(&pins[0]).contains("the child's shmdt of the address it inherited"));
    let panel: Vec<&str> = all("panel-line").iter().filter_map(|n| n.text()).collect();
    assert!(
        panel
            .iter()
            .any(|l| l.contains("→ the child ended without shmdt")),
        "{panel:?}"
    );
    let exit_event = exit.attribute("data-event").unwrap();
    assert!(
        panel[0].ends_with(&format!(
            "(decided at call {})",
            exit_event.parse::<usize>().unwrap() + 1
        )),
        "{panel:?}"
    );
    // The passed scenarios are folded.
    let folded = doc
        .descendants()
        .filter(|n| n.tag_name().name() == "details" && class_is(n, "pass"))
        .collect::<Vec<_>>();
    assert!(!folded.is_empty());
    assert!(folded.iter().all(|n| n.attribute("open").is_none()));
}

#[test]
fn trace_html_draws_the_run_beside_its_text_trace() {
    let dir = tempfile::tempdir().unwrap();
    let bins = common::built("shmlab-fixtures");
    let out = dir.path().join("trace.html");
    let run = common::shmlab()
        .arg("trace")
        .arg("--html")
        .arg(&out)
        .arg("--")
        .arg(&bins["bug-share-child-never-detaches"])
        .args(["0x7e57", "hello"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{run:?}");
    let text = std::fs::read_to_string(&out).unwrap();
    let doc = parse(&text);
    let lanes = doc.descendants().filter(|n| class_is(n, "lane")).count();
    assert_eq!(lanes, 2);
    let pre = doc
        .descendants()
        .find(|n| n.tag_name().name() == "pre")
        .and_then(|n| n.text())
        .unwrap();
    assert!(pre.starts_with("shmlab trace: "), "{pre}");
    // What the terminal got is what the page holds under the picture.
    let stdout = String::from_utf8(run.stdout).unwrap();
    assert_eq!(pre.trim_end(), stdout.trim_end());
}

#[test]
fn trace_html_to_a_file_that_cannot_be_written_is_a_usage_error_before_anything_runs() {
    let run = common::shmlab()
        .args(["trace", "--html", "/nonexistent-dir/t.html", "--", "true"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "{run:?}");
    let stderr = String::from_utf8(run.stderr).unwrap();
    assert!(stderr.contains("/nonexistent-dir/t.html"), "{stderr}");
    assert!(run.stdout.is_empty());
}

/// Headless Chromium, started the way this machine allows (no sandbox as root, nothing
/// fetched, a fresh profile that also holds its home), with `args` and `url`.
fn chromium(profile: &Path, args: &[&str], url: &str) -> std::process::Output {
    Command::new("/usr/bin/chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        // Nothing of it is left in the home directory: its caches go with the profile.
        .env("HOME", profile)
        .env("XDG_CONFIG_HOME", profile)
        .env("XDG_CACHE_HOME", profile)
        .args(args)
        .arg(url)
        .output()
        .expect("chromium runs")
}

/// What `pictures/overlap.js`, in the page at `path`, found in a window `width` CSS pixels
/// wide at `scale` device pixels each.
fn probe(path: &Path, width: u32, scale: &str) -> serde_json::Value {
    let profile = tempfile::tempdir().unwrap();
    let dom = chromium(
        profile.path(),
        &[
            &format!("--window-size={width},1400"),
            &format!("--force-device-scale-factor={scale}"),
            "--virtual-time-budget=5000",
            "--dump-dom",
        ],
        &format!("file://{}", path.display()),
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    // The last one: the script's own text names the element too.
    let marker = "<pre id=\"overlap-result\">";
    let start = dom.rfind(marker).expect("the probe ran") + marker.len();
    let end = start + dom[start..].find("</pre>").unwrap();
    let json = dom[start..end]
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap()
}

/// At 100% (a 1280-pixel window) and at 200% (the same screen, so 640 CSS pixels wide at
/// two device pixels each), the report is screenshot, and no text is drawn over other text.
/// The screenshots stay under cargo's target directory (`tmp/pictures-*.png`).
#[test]
#[cfg_attr(
    no_chromium,
    ignore = "needs Debian's chromium (/usr/bin/chromium), which .ci/run installs as root"
)]
fn the_html_report_in_chromium_has_no_overlapping_text_at_100_and_200_percent() {
    let dir = tempfile::tempdir().unwrap();
    let report = share_report(dir.path());
    let text = std::fs::read_to_string(&report).unwrap();
    // A copy that measures itself: the report forbids scripts, so the copy allows one.
    let measured = text
        .replace(
            "default-src 'none'; style-src 'unsafe-inline'",
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
        )
        .replace(
            "</body>",
            &format!(
                "<script>{}</script></body>",
                include_str!("pictures/overlap.js")
            ),
        );
    let probe_path = dir.path().join("probe.html");
    std::fs::write(&probe_path, measured).unwrap();
    // The probe itself sees text over text, and a page wider than the window.
    let bad = format!(
        "<html><body><p style=\"position:absolute;top:10px;left:10px\">IPC_RMID</p><p style=\"position:absolute;top:12px;left:14px\">shmdt = 0</p><pre style=\"width:3000px\">wide</pre><script>{}</script></body></html>",
        include_str!("pictures/overlap.js")
    );
    let bad_path = dir.path().join("bad.html");
    std::fs::write(&bad_path, bad).unwrap();
    let bad = probe(&bad_path, 1280, "1");
    assert_eq!(bad["count"], 1, "{bad}");
    assert!(bad["page_wider_by"].as_i64().unwrap() > 1000, "{bad}");
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR"));
    for (zoom, width, scale) in [(100, 1280, "1"), (200, 640, "2")] {
        let profile = tempfile::tempdir().unwrap();
        let shot = shots.join(format!("pictures-{zoom}.png"));
        let _ = std::fs::remove_file(&shot);
        let window = format!("--window-size={width},1400");
        let factor = format!("--force-device-scale-factor={scale}");
        let url = format!("file://{}", report.display());
        let done = chromium(
            profile.path(),
            &[
                &window,
                &factor,
                &format!("--screenshot={}", shot.display()),
            ],
            &url,
        );
        assert!(done.status.success(), "{done:?}");
        let png = std::fs::read(&shot).expect("a screenshot");
        assert_eq!(&png[1..4], b"PNG");
        // The PNG's width, in device pixels: the zoom took.
        let png_width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        assert_eq!(png_width, 1280, "{zoom}%");
        let result = probe(&probe_path, width, scale);
        assert!(result["texts"].as_u64().unwrap() > 50, "{zoom}%: {result}");
        assert_eq!(result["count"], 0, "{zoom}%: text over text: {result}");
        assert_eq!(
            result["page_wider_by"], 0,
            "{zoom}%: the page scrolls sideways: {result}"
        );
    }
}

/// The lifecycle diagram in `docs/concepts.md` is what the checker draws today from a
/// traced run of the share solution (`shmlab dev diagram` redraws it).
#[test]
fn the_lifecycle_diagram_in_the_docs_is_what_the_checker_draws() {
    let run = common::shmlab()
        .args(["dev", "diagram", "--check"])
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let concepts = std::fs::read_to_string(common::workspace().join("docs/concepts.md")).unwrap();
    assert!(concepts.contains("](lifecycle.svg)"));
    let svg = std::fs::read_to_string(common::workspace().join("docs/lifecycle.svg")).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let lanes = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("lane"))
        .count();
    assert_eq!(lanes, 2);
}
