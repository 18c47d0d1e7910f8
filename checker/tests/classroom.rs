//! GitHub Classroom, as GitHub runs `docs/classroom/classroom.yml`: its steps in order, as
//! the runner runs them, on a checkout of the kit.
//!
//! What stands for what (the actions are JavaScript run by GitHub's runner; they are not
//! in any registry this test could fetch, so the test plays them, faithfully to their code,
//! classroom-resources/autograding-command-grader `src/main.js` and
//! classroom-resources/autograding-grading-reporter `src/*.js`):
//!
//! - the runner's user: a `HOME` of its own whose `~/.cargo/bin` is the only place with
//!   `cargo` and `rustc` (as `dtolnay/rust-toolchain` leaves it); it is root here, because
//!   this machine's toolchain sits under `/root`, which no other user can reach;
//! - `run:` steps: `bash --noprofile --norc -eo pipefail` with the runner's environment; a
//!   failing step ends the job, and only `if: always()` steps still run;
//! - `sudo`: a script on the runner's PATH that does what sudo does on GitHub's Ubuntu
//!   images: the environment reset, `PATH` set to the `secure_path` (no `~/.cargo/bin`),
//!   `HOME=/root`;
//! - the command grader: `execSync(command)` — `/bin/sh -c` with only `PATH`, `HOME`,
//!   `FORCE_COLOR=true` and the two `DOTNET_*` variables, killed (SIGTERM) at `timeout`
//!   minutes; `pass` (all of `max-score`) when it exits 0, `error` when it timed out, `fail`
//!   otherwise; its stdout goes to the step's log, where the runner turns `::error` lines
//!   into annotations (GitHub shows 10 per step and type, 50 per job);
//! - the reporter: for each runner, `<RUNNER>_RESULTS` decoded; the points are the sum of
//!   the tests' `score` over the runners with a `max_score`, the maximum the sum of those
//!   (`Points X/Y`, which Classroom records); the step fails when any runner failed or
//!   errored.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::workspace;

/// sudo's `secure_path` on GitHub's Ubuntu runners.
const SECURE_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin";

/// One step of the workflow.
#[derive(Debug, Default, Clone)]
struct Step {
    name: String,
    id: Option<String>,
    uses: Option<String>,
    run: Option<String>,
    always: bool,
    with: BTreeMap<String, String>,
    env: BTreeMap<String, String>,
}

/// The steps of the template's one job. The template is plain block YAML: a list of steps,
/// each a map whose `with:` and `env:` are maps of scalars and whose `run:` is a scalar or a
/// `|` block; that is all this reads.
fn steps(yaml: &str) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::new();
    let mut in_steps = false;
    let mut section: Option<&str> = None;
    let mut block: Option<String> = None;
    let unquote = |v: &str| v.trim().trim_matches('"').to_string();
    for line in yaml.lines() {
        let indent = line.len() - line.trim_start().len();
        let text = line.trim();
        if let Some(b) = block.as_mut() {
            if indent >= 10 && !text.is_empty() {
                b.push_str(text);
                b.push('\n');
                continue;
            }
            out.last_mut().unwrap().run = block.take();
        }
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        if text == "steps:" {
            in_steps = true;
            continue;
        }
        if !in_steps {
            continue;
        }
        let (body, key_indent) = if let Some(rest) = text.strip_prefix("- ") {
            out.push(Step::default());
            section = None;
            (rest, indent + 2)
        } else {
            (text, indent)
        };
        let Some((key, value)) = body.split_once(':') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        let step = out.last_mut().unwrap();
        if key_indent > 8 {
            match section {
                Some("with") => step.with.insert(key.into(), unquote(value)),
                Some("env") => step.env.insert(key.into(), unquote(value)),
                _ => None,
            };
            continue;
        }
        section = None;
        match key {
            "name" => step.name = unquote(value),
            "id" => step.id = Some(unquote(value)),
            "uses" => step.uses = Some(unquote(value)),
            "if" => step.always = value == "always()",
            "run" if value == "|" => block = Some(String::new()),
            "run" => step.run = Some(value.to_string()),
            "with" => section = Some("with"),
            "env" => section = Some("env"),
            _ => {}
        }
    }
    if let Some(b) = block {
        out.last_mut().unwrap().run = Some(b);
    }
    out
}

/// An annotation the runner makes of a workflow command in a step's log.
#[derive(Debug, Clone)]
struct Annotation {
    kind: String,
    file: Option<String>,
    message: String,
}

fn annotations(log: &str) -> Vec<Annotation> {
    log.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("::")?;
            let (head, message) = rest.split_once("::")?;
            let (kind, props) = head.split_once(' ').unwrap_or((head, ""));
            if !matches!(kind, "error" | "warning" | "notice") {
                return None;
            }
            let file = props
                .split(',')
                .find_map(|p| p.strip_prefix("file="))
                .map(str::to_string);
            Some(Annotation {
                kind: kind.into(),
                file,
                message: message.replace("%0A", "\n").replace("%25", "%"),
            })
        })
        .collect()
}

/// What the job came to.
#[derive(Debug, Default)]
struct Job {
    /// The step that failed the job, if one did.
    failed_at: Option<String>,
    /// The steps run, in order.
    ran: Vec<String>,
    /// The command grader's result of each step with an id.
    results: BTreeMap<String, serde_json::Value>,
    /// `Points X/Y` of the reporter, when it ran and had points.
    points: Option<(f64, u64)>,
    /// Annotations, by step.
    annotations: BTreeMap<String, Vec<Annotation>>,
    /// Each step's log.
    logs: BTreeMap<String, String>,
}

/// The runner: a checkout of the kit in `kit`, the runner's `home`, and the directory
/// holding its `sudo`.
struct Runner {
    kit: PathBuf,
    home: PathBuf,
    sudo_dir: PathBuf,
}

impl Runner {
    fn path(&self) -> String {
        format!(
            "{}:{}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            self.home.join(".cargo/bin").display(),
            self.sudo_dir.display()
        )
    }

    /// A command with the runner's environment, in the checkout.
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(&self.kit)
            .env_clear()
            .env("PATH", self.path())
            .env("HOME", &self.home)
            .env("CI", "true")
            .env("GITHUB_ACTIONS", "true")
            // The crates the runner's cargo has fetched (this machine has no network).
            .env("CARGO_HOME", cargo_home())
            .stdin(Stdio::null());
        cmd
    }

    /// The command grader's `run()`.
    fn command_grader(&self, with: &BTreeMap<String, String>) -> (serde_json::Value, String) {
        let command = &with["command"];
        let minutes: f64 = with.get("timeout").map_or(10.0, |t| t.parse().unwrap());
        let max_score: u64 = with.get("max-score").map_or(0, |m| m.parse().unwrap());
        let mut child = Command::new("/bin/sh")
            .args(["-c", command])
            .current_dir(&self.kit)
            .env_clear()
            .env("PATH", self.path())
            .env("FORCE_COLOR", "true")
            .env("DOTNET_CLI_HOME", "/tmp")
            .env("DOTNET_NOLOGO", "true")
            .env("HOME", &self.home)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let limit = Duration::from_secs_f64(minutes * 60.0);
        let started = Instant::now();
        let (stdout, stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
        let read = |mut r: Box<dyn std::io::Read + Send>| {
            std::thread::spawn(move || {
                let mut s = String::new();
                let _ = r.read_to_string(&mut s);
                s
            })
        };
        let (out, err) = (read(Box::new(stdout)), read(Box::new(stderr)));
        let mut timed_out = false;
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if started.elapsed() > limit {
                let _ = nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(child.id() as i32),
                    nix::sys::signal::Signal::SIGTERM,
                );
                timed_out = true;
                break child.wait().unwrap();
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let log = format!("{}{}", out.join().unwrap(), err.join().unwrap());
        let (status, message) = if timed_out {
            ("error", "Command timed out".to_string())
        } else if status.success() {
            ("pass", String::new())
        } else {
            ("fail", "failed with exit code 1".to_string())
        };
        let result = serde_json::json!({
            "version": 1,
            "status": status,
            "max_score": max_score,
            "tests": [{
                "name": with["test-name"],
                "status": status,
                "score": if status == "pass" { max_score } else { 0 },
                "message": message,
                "test_code": command,
                "filename": "",
                "line_no": 0,
                "duration": started.elapsed().as_millis() as u64,
            }],
        });
        (result, log)
    }

    /// Runs the job; `between` is called after the step named `after` (what the runner's
    /// machine may do between steps).
    fn run(&self, yaml: &str, after: &str, between: &dyn Fn()) -> Job {
        let mut job = Job::default();
        for step in steps(yaml) {
            if job.failed_at.is_some() && !step.always {
                continue;
            }
            job.ran.push(step.name.clone());
            let uses = step.uses.as_deref().unwrap_or_default();
            if let Some(script) = &step.run {
                let file = self.home.join("step.sh");
                std::fs::write(&file, script).unwrap();
                let out = self
                    .command("bash")
                    .args(["--noprofile", "--norc", "-eo", "pipefail"])
                    .arg(&file)
                    .output()
                    .unwrap();
                let log = format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                );
                job.annotations.insert(step.name.clone(), annotations(&log));
                job.logs.insert(step.name.clone(), log);
                if !out.status.success() {
                    job.failed_at.get_or_insert(step.name.clone());
                }
            } else if uses.starts_with("classroom-resources/autograding-command-grader") {
                let (result, log) = self.command_grader(&step.with);
                job.annotations.insert(step.name.clone(), annotations(&log));
                job.logs.insert(step.name.clone(), log);
                job.results.insert(step.id.clone().unwrap(), result);
            } else if uses.starts_with("classroom-resources/autograding-grading-reporter") {
                let mut total = 0.0;
                let mut max = 0;
                let mut failed = false;
                for runner in step.with["runners"].split(',') {
                    let var = format!("{}_RESULTS", runner.trim().to_uppercase());
                    let expr = &step.env[&var];
                    let id = expr
                        .trim_start_matches("${{ steps.")
                        .trim_end_matches(".outputs.result }}");
                    let results = &job.results[id];
                    failed |= results["status"] != "pass";
                    if let Some(m) = results["max_score"].as_u64().filter(|m| *m > 0) {
                        max += m;
                        for t in results["tests"].as_array().unwrap() {
                            total += t["score"].as_f64().unwrap();
                        }
                    }
                }
                if max > 0 {
                    job.points = Some((total, max));
                }
                if failed {
                    job.failed_at.get_or_insert(step.name.clone());
                }
            }
            // actions/checkout: the checkout is made; dtolnay/rust-toolchain: the toolchain
            // is in ~/.cargo/bin; actions/upload-artifact: nothing to do here.
            if step.name == after {
                between();
            }
        }
        job
    }
}

fn cargo_home() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(&std::env::var_os("HOME").unwrap()).join(".cargo"))
}

fn sysroot() -> PathBuf {
    let out = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
        .args(["--print", "sysroot"])
        .current_dir(workspace())
        .output()
        .unwrap();
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

fn write_exec(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, PermissionsExt::from_mode(0o755)).unwrap();
}

/// A runner with a fresh checkout of the kit (its committed state), every lab replaced by
/// `lab_source(lab)`; the build goes to a target directory the test keeps between runs.
fn runner(dir: &Path, cargo: &Path) -> Runner {
    let kit = workspace().join("target/classroom-kit");
    let _ = std::fs::remove_dir_all(&kit);
    let ok = Command::new("git")
        .args(["clone", "--quiet", "--no-hardlinks"])
        .arg(workspace())
        .arg(&kit)
        .status()
        .unwrap()
        .success();
    assert!(ok, "git clone");
    let target = workspace().join("target/classroom-target");
    std::fs::create_dir_all(&target).unwrap();
    std::os::unix::fs::symlink(&target, kit.join("target")).unwrap();
    let _ = std::fs::remove_dir_all(dir.join("home"));
    let _ = std::fs::remove_dir_all(dir.join("sudo"));
    let home = dir.join("home/runner");
    let bin = home.join(".cargo/bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(cargo, bin.join("cargo")).unwrap();
    std::os::unix::fs::symlink(sysroot().join("bin/rustc"), bin.join("rustc")).unwrap();
    let sudo_dir = dir.join("sudo");
    std::fs::create_dir_all(&sudo_dir).unwrap();
    write_exec(
        &sudo_dir.join("sudo"),
        &format!(
            "#!/bin/sh\n# sudo on GitHub's Ubuntu runners: env_reset, secure_path, root's HOME.\nexec env -i PATH={SECURE_PATH} HOME=/root USER=root LOGNAME=root SHELL=/bin/bash SUDO_USER=runner \"$@\"\n"
        ),
    );
    Runner {
        kit,
        home,
        sudo_dir,
    }
}

/// Each lab's program in the checkout: `source(lab)` (a path in the checkout).
fn labs_from(runner: &Runner, source: &dyn Fn(&str) -> String) {
    for lab in common::LABS {
        std::fs::copy(
            runner.kit.join(source(lab)),
            runner.kit.join(format!("labs/src/bin/{lab}.rs")),
        )
        .unwrap();
    }
}

fn template() -> String {
    std::fs::read_to_string(workspace().join("docs/classroom/classroom.yml")).unwrap()
}

fn assert_within_githubs_limits(job: &Job) {
    let mut per_job = 0;
    for (step, list) in &job.annotations {
        for kind in ["error", "warning", "notice"] {
            let n = list.iter().filter(|a| a.kind == kind).count();
            assert!(n <= 10, "{step}: {n} {kind} annotations (GitHub shows 10)");
        }
        per_job += list.iter().filter(|a| a.kind != "notice").count();
    }
    assert!(
        per_job <= 50,
        "{per_job} annotations in the job (GitHub shows 50)"
    );
}

#[test]
#[cfg_attr(
    not(shmlab_root),
    ignore = "needs root: the sudo steps run the checker as root, as on GitHub's runners"
)]
fn classroom_gives_a_correct_repository_full_marks_a_buggy_one_partial_and_a_broken_checker_an_error(
) {
    common::require_root();
    let dir = common::shared_tempdir("shmlab-classroom-");
    let yaml = template();
    let step_names: Vec<String> = steps(&yaml).into_iter().map(|s| s.name).collect();
    assert!(
        step_names.iter().any(|n| n == "Build the checker"),
        "{step_names:?}"
    );

    // Correct: the solutions in labs/src/bin.
    let cargo = sysroot().join("bin/cargo");
    let r = runner(dir.path(), &cargo);
    labs_from(&r, &|lab| format!("solutions/src/bin/solution-{lab}.rs"));
    let job = r.run(&yaml, "", &|| {});
    assert_eq!(job.failed_at, None, "{:#?}", job.logs);
    assert_eq!(job.points, Some((52.0, 52)), "{:#?}", job.results);
    for (step, list) in &job.annotations {
        assert!(list.iter().all(|a| a.kind == "notice"), "{step}: {list:?}");
    }
    assert_within_githubs_limits(&job);

    // Buggy: create still the untouched starter.
    let r = runner(dir.path(), &cargo);
    labs_from(&r, &|lab| format!("solutions/src/bin/solution-{lab}.rs"));
    // The untouched starter, as a fresh clone hands it out (derived from its solution).
    let starter = shmlab_checker::app::starters::derive(
        &r.kit,
        shmlab_checker::model::Lab::Create,
        shmlab_checker::plan::Track::Rust,
    )
    .unwrap();
    std::fs::write(r.kit.join("labs/src/bin/create.rs"), starter).unwrap();
    let job = r.run(&yaml, "", &|| {});
    assert_eq!(job.points, Some((46.0, 52)), "{:#?}", job.results);
    assert_eq!(
        job.failed_at.as_deref(),
        Some("Report"),
        "the reporter fails the job"
    );
    let create = &job.annotations["create"];
    let errors: Vec<_> = create.iter().filter(|a| a.kind == "error").collect();
    assert_eq!(errors.len(), 1, "one annotation for the lab: {create:?}");
    assert_eq!(errors[0].file.as_deref(), Some("labs/src/bin/create.rs"));
    assert_within_githubs_limits(&job);

    // Broken: the toolchain the checker was built with is gone by the time the labs are
    // checked (a runner whose Rust was set up for one step): every lab is 0, and each says
    // why in an annotation a teacher sees.
    let gone = dir.path().join("toolchain");
    std::fs::create_dir_all(&gone).unwrap();
    std::fs::copy(&cargo, gone.join("cargo")).unwrap();
    let r = runner(dir.path(), &gone.join("cargo"));
    labs_from(&r, &|lab| format!("solutions/src/bin/solution-{lab}.rs"));
    let job = r.run(&yaml, "Build the checker", &|| {
        std::fs::remove_dir_all(&gone).unwrap();
    });
    assert_eq!(job.points, Some((0.0, 52)), "{:#?}", job.results);
    let create = &job.annotations["create"];
    assert!(
        create
            .iter()
            .any(|a| a.kind == "error" && a.message.starts_with("could not run cargo")),
        "the checker's error is an annotation: {create:?}\n{}",
        job.logs["create"]
    );
    let _ = std::fs::remove_dir_all(workspace().join("target/classroom-kit"));
}

/// The template's points are each lab's number of scenarios (the all-or-nothing command
/// grader gives them for a lab done), and its reporter lists every grader step.
#[test]
fn the_classroom_template_gives_each_lab_its_number_of_scenarios() {
    let all = steps(&template());
    let graders: Vec<&Step> = all
        .iter()
        .filter(|s| {
            s.uses
                .as_deref()
                .is_some_and(|u| u.starts_with("classroom-resources/autograding-command-grader"))
        })
        .collect();
    let labs: Vec<&str> = graders
        .iter()
        .map(|s| s.with["test-name"].as_str())
        .collect();
    assert_eq!(labs, common::LABS);
    for s in &graders {
        let lab: shmlab_checker::model::Lab =
            shmlab_checker::model::Lab::from_name(&s.with["test-name"]).unwrap();
        let n = shmlab_checker::catalogue::scenarios(lab).len();
        assert_eq!(s.with["max-score"], n.to_string(), "{lab}");
        assert_eq!(
            s.with["command"],
            format!("sudo target/debug/shmlab check {lab} --format github")
        );
    }
    let reporter = all.iter().find(|s| s.name == "Report").unwrap();
    assert_eq!(reporter.with["runners"], common::LABS.join(","));
}
