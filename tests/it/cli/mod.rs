//! The command-line shell: exit codes and help.

fn run(args: &[&str]) -> (i32, String, String) {
    crate::support::nuskybgd(args)
}

#[test]
fn no_arguments_prints_overview_and_fails() {
    let (code, out, _) = run(&[]);
    assert_ne!(code, 0);
    assert!(out.contains("usage: nuskybgd TASK"));
}

#[test]
fn help_succeeds_and_unknown_task_fails() {
    assert_eq!(run(&["--help"]).0, 0);
    let (code, _, err) = run(&["nosuchtask"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown task 'nosuchtask'"));
}

#[test]
fn every_task_has_usage_with_an_example() {
    for t in nuskybgd::cli::tasks() {
        let (code, out, _) = run(&[t.name, "--help"]);
        assert_eq!(code, 0, "{} --help", t.name);
        assert!(out.contains(t.name), "{} usage names the task", t.name);
        assert!(
            out.to_lowercase().contains("example"),
            "{} usage has an example",
            t.name
        );
        if t.name == "demo" {
            continue; // runs with no arguments by design (tests/demo.rs)
        }
        let (code, _, _) = run(&[t.name]);
        assert_ne!(code, 0, "{} with no arguments exits non-zero", t.name);
    }
}

// The port's README run as written, the scripts' own names, the port's argument forms.
mod dropin;
