//! `--format junit` and `--output`: the JUnit XML a CI test reporter reads, one testsuite per
//! lab and one testcase per scenario, read back by a JUnit parser; every format can go to a
//! file, leaving stdout alone.

mod common;

use common::{json_report, shmlab, workspace};

/// The buggy create, compiled once for every test of this file (they run at once).
fn buggy_create() -> std::path::PathBuf {
    static BUILT: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("junit");
            std::fs::create_dir_all(&dir).unwrap();
            let exe = dir.join("create");
            let ok = std::process::Command::new("cc")
                .args(["-O1", "-o"])
                .arg(&exe)
                .arg(workspace().join("checker/fixtures/c/create_mode_zero.c"))
                .status()
                .unwrap()
                .success();
            assert!(ok);
            exe
        })
        .clone()
}

#[test]
fn junit_output_is_read_back_by_a_junit_parser_with_the_same_counts_and_the_diagnosis() {
    let exe = buggy_create();
    let out = shmlab()
        .args(["check", "create", "--format", "junit", "--program"])
        .arg(&exe)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let xml = String::from_utf8(out.stdout).unwrap();
    let report = quick_junit::Report::deserialize_from_str(&xml)
        .unwrap_or_else(|e| panic!("not JUnit XML ({e}):\n{xml}"));
    let (_, doc) = json_report(shmlab().args(["check", "create", "--program"]).arg(&exe));
    let counts = &doc["extra_data"]["counts"];
    assert_eq!(report.test_suites.len(), 1, "one suite per lab checked");
    let suite = &report.test_suites[0];
    assert_eq!(suite.test_cases.len(), 6);
    assert_eq!(suite.failures, counts["failed"].as_u64().unwrap() as usize);
    assert_eq!(suite.skipped, counts["skipped"].as_u64().unwrap() as usize);
    assert!(xml.contains("IPC_CREAT alone gives mode 0000"), "{xml}");
    assert!(xml.contains("classname=\"shmlab.create\""), "{xml}");
}

#[test]
fn every_format_can_go_to_a_file_and_leave_stdout_alone() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("junit-output");
    std::fs::create_dir_all(&dir).unwrap();
    for (format, starts) in [("human", "Checking"), ("json", "{"), ("junit", "<?xml")] {
        let file = dir.join(format!("report.{format}"));
        let out = shmlab()
            .args([
                "check",
                "access",
                "--solutions",
                "--format",
                format,
                "--output",
            ])
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{format}");
        assert!(out.stdout.is_empty(), "{format}: stdout stays empty");
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.starts_with(starts), "{format}: {text}");
    }
}

#[test]
fn github_annotations_put_each_failure_on_the_labs_file() {
    let exe = buggy_create();
    let out = shmlab()
        .args(["check", "create", "--format", "github", "--program"])
        .arg(&exe)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("::error ")).collect();
    assert_eq!(errors.len(), 1, "one annotation per failing lab: {text}");
    for e in &errors {
        assert!(e.contains("file="), "{e}");
        assert!(
            !e.contains("file=/"),
            "a path relative to the repository: {e}"
        );
        assert!(e.contains("title=create/"), "{e}");
    }
    assert!(text.contains("IPC_CREAT alone gives mode 0000"), "{text}");
    let out = shmlab()
        .args(["check", "access", "--solutions", "--format", "github"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("::notice file=solutions/src/bin/solution-access.rs,title=lab access::done"),
        "{text}"
    );
}

/// JUnit XML as its documentation has it (the Ant/Jenkins schema, `junit-10.xsd`, which
/// pytest and most CI reporters follow), written down by the team as data: for each
/// element, its attributes (required or not, and of which type) and the elements it may
/// hold. The checker's documents must keep to it strictly.
mod schema {
    use std::collections::BTreeMap;

    use quick_xml::events::Event;

    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum Ty {
        Text,
        Count,
        Seconds,
        Timestamp,
    }

    struct Element {
        name: &'static str,
        /// (attribute, required, type)
        attributes: &'static [(&'static str, bool, Ty)],
        children: &'static [&'static str],
    }

    const SCHEMA: &[Element] = &[
        Element {
            name: "testsuites",
            attributes: &[
                ("name", false, Ty::Text),
                ("time", false, Ty::Seconds),
                ("tests", false, Ty::Count),
                ("failures", false, Ty::Count),
                ("disabled", false, Ty::Count),
                ("errors", false, Ty::Count),
            ],
            children: &["testsuite"],
        },
        Element {
            name: "testsuite",
            attributes: &[
                ("name", true, Ty::Text),
                ("tests", true, Ty::Count),
                ("failures", false, Ty::Count),
                ("errors", false, Ty::Count),
                ("skipped", false, Ty::Count),
                ("disabled", false, Ty::Count),
                ("time", false, Ty::Seconds),
                // Optional in the schema; the checker always writes it.
                ("timestamp", true, Ty::Timestamp),
                ("hostname", false, Ty::Text),
                ("id", false, Ty::Text),
                ("package", false, Ty::Text),
            ],
            children: &["properties", "testcase", "system-out", "system-err"],
        },
        Element {
            name: "testcase",
            // `time` is optional in the schema; the checker always writes it (a reporter
            // without it shows NaN).
            attributes: &[
                ("name", true, Ty::Text),
                ("classname", true, Ty::Text),
                ("time", true, Ty::Seconds),
                ("assertions", false, Ty::Count),
                ("status", false, Ty::Text),
            ],
            children: &["skipped", "error", "failure", "system-out", "system-err"],
        },
        Element {
            name: "skipped",
            attributes: &[("message", false, Ty::Text)],
            children: &[],
        },
        Element {
            name: "error",
            attributes: &[("message", false, Ty::Text), ("type", true, Ty::Text)],
            children: &[],
        },
        Element {
            name: "failure",
            attributes: &[("message", false, Ty::Text), ("type", true, Ty::Text)],
            children: &[],
        },
        Element {
            name: "system-out",
            attributes: &[],
            children: &[],
        },
        Element {
            name: "system-err",
            attributes: &[],
            children: &[],
        },
    ];

    #[derive(Debug, Default)]
    struct Node {
        name: String,
        attributes: BTreeMap<String, String>,
        children: Vec<Node>,
    }

    fn parse(xml: &str) -> Node {
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut stack: Vec<Node> = vec![Node::default()];
        loop {
            let event = reader
                .read_event()
                .unwrap_or_else(|e| panic!("not XML ({e}): {xml}"));
            let open = |e: &quick_xml::events::BytesStart| Node {
                name: String::from_utf8(e.name().as_ref().to_vec()).unwrap(),
                attributes: e
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap();
                        (
                            String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                .unwrap()
                                .into_owned(),
                        )
                    })
                    .collect(),
                children: Vec::new(),
            };
            match event {
                Event::Start(e) => stack.push(open(&e)),
                Event::Empty(e) => {
                    let n = open(&e);
                    stack.last_mut().unwrap().children.push(n);
                }
                Event::End(_) => {
                    let n = stack.pop().unwrap();
                    stack.last_mut().unwrap().children.push(n);
                }
                Event::Eof => break,
                _ => {}
            }
        }
        let mut root = stack.pop().unwrap();
        assert_eq!(root.children.len(), 1, "one root element");
        root.children.pop().unwrap()
    }

    fn valid(ty: Ty, v: &str) -> bool {
        match ty {
            Ty::Text => true,
            Ty::Count => v.parse::<u64>().is_ok(),
            Ty::Seconds => v.parse::<f64>().is_ok_and(|t| t >= 0.0 && t.is_finite()),
            Ty::Timestamp => chrono::DateTime::parse_from_rfc3339(v).is_ok(),
        }
    }

    fn check(node: &Node) {
        let Some(el) = SCHEMA.iter().find(|e| e.name == node.name) else {
            panic!("<{}> is not a JUnit element", node.name);
        };
        for (attr, value) in &node.attributes {
            let Some((_, _, ty)) = el.attributes.iter().find(|(a, _, _)| a == attr) else {
                panic!("<{}> has no attribute {attr}", node.name);
            };
            assert!(
                valid(*ty, value),
                "<{} {attr}=\"{value}\">: not a {ty:?}",
                node.name
            );
        }
        for (attr, required, _) in el.attributes {
            if *required {
                assert!(
                    node.attributes.contains_key(*attr),
                    "<{}> needs {attr}",
                    node.name
                );
            }
        }
        for child in &node.children {
            assert!(
                el.children.contains(&child.name.as_str()),
                "<{}> in <{}>",
                child.name,
                node.name
            );
            check(child);
        }
        // The counts say what the cases are.
        if node.name == "testsuite" {
            let count = |kind: &str| {
                node.children
                    .iter()
                    .filter(|c| c.children.iter().any(|k| k.name == kind))
                    .count()
                    .to_string()
            };
            let cases = node
                .children
                .iter()
                .filter(|c| c.name == "testcase")
                .count();
            assert_eq!(node.attributes["tests"], cases.to_string());
            for (attr, kind) in [
                ("failures", "failure"),
                ("errors", "error"),
                ("skipped", "skipped"),
            ] {
                if let Some(v) = node.attributes.get(attr) {
                    assert_eq!(*v, count(kind), "{attr}");
                }
            }
        }
    }

    /// Panics, saying where, unless `xml` keeps to the schema.
    pub fn validate(xml: &str) {
        assert!(
            !xml.contains(['\u{fffe}', '\u{ffff}']),
            "a character XML forbids: {xml}"
        );
        check(&parse(xml));
    }
}

#[test]
fn junit_keeps_to_the_strict_schema_for_a_buggy_lab_a_skip_and_a_checker_error() {
    let exe = buggy_create();
    let out = shmlab()
        .args(["check", "create", "--format", "junit", "--program"])
        .arg(&exe)
        .output()
        .unwrap();
    let xml = String::from_utf8(out.stdout).unwrap();
    schema::validate(&xml);
    assert!(xml.contains("type=\"failed\""), "{xml}");
    let out = shmlab()
        .env("CARGO", "/nonexistent/cargo")
        .args(["check", "--solutions", "--format", "junit"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let xml = String::from_utf8(out.stdout).unwrap();
    schema::validate(&xml);
}

/// The same documents read by Python's `junitparser`, which many CI tools use.
#[test]
#[ignore = "needs Python's junitparser module (python3-junitparser, which .ci/run installs as root)"]
fn junit_round_trips_through_junitparser() {
    let exe = buggy_create();
    let out = shmlab()
        .args(["check", "create", "--format", "junit", "--program"])
        .arg(&exe)
        .output()
        .unwrap();
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("junitparser");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("report.xml");
    std::fs::write(&file, &out.stdout).unwrap();
    let script = r#"import sys, junitparser
x = junitparser.JUnitXml.fromfile(sys.argv[1])
for s in x:
    print(s.name, s.tests, s.failures, s.errors, s.skipped)
    for c in s:
        print(" ", c.name, c.time, [r._tag for r in c.result])
"#;
    // The python3 on PATH, or the system's, where the distribution's package installs it.
    let python = ["python3", "/usr/bin/python3"]
        .into_iter()
        .find(|p| {
            std::process::Command::new(p)
                .args(["-c", "import junitparser"])
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .expect("a python3 with junitparser (pip install junitparser, or apt-get install python3-junitparser)");
    let py = std::process::Command::new(python)
        .args(["-c", script])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    let said = String::from_utf8(py.stdout).unwrap();
    let doc = quick_junit::Report::deserialize_from_str(std::str::from_utf8(&out.stdout).unwrap())
        .unwrap();
    let suite = &doc.test_suites[0];
    assert!(
        said.starts_with(&format!(
            "{} {} {} {} {}",
            suite.name.as_str(),
            suite.tests,
            suite.failures,
            suite.errors,
            suite.skipped
        )),
        "{said}"
    );
    assert_eq!(said.lines().count(), 1 + suite.test_cases.len(), "{said}");
}
