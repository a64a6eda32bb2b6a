//! The command line: `nuskybgd TASK [args]`. Each task is a small file that parses its
//! arguments, calls one library function and prints a summary. No science here.

pub mod absrmf;
pub mod args;
pub mod aspecthist;
pub mod batch;
pub mod bgdspec;
pub mod demo;
pub mod fit;
pub mod getspec;
pub mod image;
pub mod install;
pub mod mkimgs;
pub mod mkinstrmap;
pub mod model_eval;
pub mod phafix;
pub mod plot;
pub mod projbgd;
pub mod refspec;
pub mod regmask;
pub mod run;
pub mod simplify;
pub mod simulate;
pub mod spec;
pub mod xcm_fit;
pub mod xcm_show;

use crate::error::Result;
use args::Args;

/// One task of the command line.
pub struct Task {
    /// Name as typed after `nuskybgd`.
    pub name: &'static str,
    /// One-line summary for the task list.
    pub summary: &'static str,
    /// Full usage text with an example.
    pub usage: &'static str,
    /// Runs the task.
    pub run: fn(&Args) -> Result<()>,
}

/// All tasks, in the order the help lists them.
pub fn tasks() -> Vec<Task> {
    vec![
        mkimgs::task(),
        mkinstrmap::task(),
        aspecthist::task(),
        projbgd::task(),
        regmask::task(),
        phafix::task(),
        getspec::task(),
        getspec::noarf_task(),
        absrmf::task(),
        refspec::task(),
        refspec::imrefspec_task(),
        fit::task(),
        spec::task(),
        bgdspec::task(),
        simplify::task(),
        image::task(),
        plot::task(),
        model_eval::task(),
        xcm_show::task(),
        xcm_fit::task(),
        simulate::task(),
        run::init_task(),
        run::run_task(),
        batch::task(),
        demo::task(),
        install::task(),
    ]
}

/// The originals' script names and the task each runs: the program acts on the name it is
/// called by, and `install-scripts` makes these names as links to it.
pub const SCRIPT_NAMES: &[(&str, &str)] = &[
    ("phafix.py", "phafix"),
    ("getspecnoarf.py", "getspecnoarf"),
    ("getspecnoarf", "getspecnoarf"),
    ("absrmf.py", "absrmf"),
    ("imrefspec.py", "imrefspec"),
    ("imrefspec", "imrefspec"),
    ("mkimgs", "mkimgs"),
    ("mkimgs.py", "mkimgs"),
];

/// The task a program name (argv[0], any directory part ignored) stands for, when it is one
/// of the originals' script names.
pub fn script_task(argv0: &str) -> Option<&'static str> {
    let name = std::path::Path::new(argv0).file_name()?.to_str()?;
    SCRIPT_NAMES
        .iter()
        .find(|(script, _)| *script == name)
        .map(|(_, task)| *task)
}

fn print_overview() {
    crate::outln!(
        "nuskybgd {}: NuSTAR sky-background modelling",
        env!("CARGO_PKG_VERSION")
    );
    crate::outln!();
    crate::outln!("usage: nuskybgd TASK [key=value ...]   (or --key value)");
    crate::outln!("       nuskybgd TASK --help            usage of one task");
    crate::outln!();
    crate::outln!("tasks:");
    for t in tasks() {
        crate::outln!("  {:<12} {}", t.name, t.summary);
    }
}

/// Run the command line; returns the process exit code (0 only on success). Called by a
/// script name (`phafix.py`, `mkimgs`, …) it runs that task on all its arguments.
pub fn main_with(argv: &[String]) -> i32 {
    if let Some(task) = argv.first().and_then(|a| script_task(a)) {
        let shown = std::path::Path::new(&argv[0])
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| task.to_string());
        return run_task(task, &shown, &argv[1..]);
    }
    let Some(name) = argv.get(1) else {
        print_overview();
        return 2;
    };
    if name == "--help" || name == "-h" || name == "help" {
        print_overview();
        return 0;
    }
    if name == "--version" {
        crate::outln!("nuskybgd {}", env!("CARGO_PKG_VERSION"));
        return 0;
    }
    run_task(name, &format!("nuskybgd {name}"), &argv[2..])
}

/// The exit code of a failed task: 3 when `batch` ran and some observations failed, else 1.
fn exit_code(e: &crate::Error) -> i32 {
    match e {
        crate::Error::Pipeline(crate::error::PipelineError::BatchFailed { .. }) => 3,
        _ => 1,
    }
}

/// Run one task as a library call, as the command line would: `args[0]` is the task name,
/// the rest its `key=value` arguments. With no arguments (except `demo`) or `--help` it
/// prints the task's usage and returns Ok. Errors are returned, not printed (the bindings
/// raise them). Unknown task names are a `task=` error.
pub fn run_args(args: &[String]) -> Result<()> {
    let Some(name) = args.first() else {
        return Err(crate::error::CliError::MissingPositional {
            what: "TASK".into(),
        }
        .into());
    };
    let all = tasks();
    let Some(task) = all.iter().find(|t| t.name == name) else {
        return Err(crate::error::CliError::BadValue {
            key: "task".into(),
            value: name.clone(),
            hint: "unknown task (run 'nuskybgd --help' for the list)".into(),
        }
        .into());
    };
    let rest = &args[1..];
    if (rest.is_empty() && task.name != "demo") || rest.iter().any(|a| a == "--help" || a == "-h") {
        crate::outln!("{}", task.usage.trim_end());
        return Ok(());
    }
    Args::parse(rest).and_then(|a| (task.run)(&a))
}

/// Run task `name` on `rest`, naming it `shown` in messages; the exit code.
fn run_task(name: &str, shown: &str, rest: &[String]) -> i32 {
    let all = tasks();
    let Some(task) = all.iter().find(|t| t.name == name) else {
        crate::errln!("nuskybgd: unknown task '{name}' (run 'nuskybgd --help' for the list)");
        return 2;
    };
    // demo is the one task that runs with no arguments (README's first command)
    if (rest.is_empty() && task.name != "demo") || rest.iter().any(|a| a == "--help" || a == "-h") {
        crate::outln!("{}", task.usage.trim_end());
        return if rest.is_empty() { 2 } else { 0 };
    }
    let result = Args::parse(rest).and_then(|a| (task.run)(&a));
    match result {
        Ok(()) => 0,
        Err(e) => {
            crate::errln!("{shown}: error: {e}");
            exit_code(&e)
        }
    }
}
