//! The C API end to end: the C programs in `tests/c/` compiled with
//! `cc -std=c11 -Wall -Wextra -Werror` against hdrl-ffi's staticlib and cdylib, linked through
//! the pkg-config files that `hdrl-ffi/install.sh` installs, and run on fixture bundles.
//!
//! The libraries are found next to this test binary (`<target>/<profile>/deps/..`), where
//! `cargo test` built them because the root package dev-depends on hdrl-ffi; so this works
//! with any `CARGO_TARGET_DIR` and profile. Needs `cc` and `pkg-config` (CI has both: the
//! tests fail rather than skip without them). `smoke_under_valgrind` is `#[ignore]`d here and
//! run by `tests/c/memcheck.sh`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use hdrl_infer::{Bundle, Quant, fixtures};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const CFLAGS: [&str; 5] = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-O2"];
const THREADS: usize = 8;
/// Decisions per thread in `threads.c` against the cdylib (what gateways load). A debug
/// build of the library is ~200× slower, so `cargo test` without `--release` runs a short
/// sequence; CI runs `--release`.
const DECISIONS_PER_THREAD: usize = if cfg!(debug_assertions) { 200 } else { 100_000 };
/// The same against the staticlib: the threading is the library's, not the link's, so a
/// shorter run (which still interleaves the 8 threads for seconds) keeps CI time down.
const DECISIONS_PER_THREAD_STATIC: usize = DECISIONS_PER_THREAD / 10;

/// How a C program is linked to libhdrl.
#[derive(Clone, Copy, Debug)]
enum Link {
    /// `pkg-config hdrl`: libhdrl.so, found at run time through the rpath in the .pc file.
    Dynamic,
    /// `pkg-config hdrl-static`: libhdrl.a and the system libraries Rust's std needs.
    Static,
}

impl Link {
    fn package(self) -> &'static str {
        match self {
            Link::Dynamic => "hdrl",
            Link::Static => "hdrl-static",
        }
    }
}

/// Everything the C tests share, prepared once per test process.
struct Setup {
    /// Scratch directory for binaries.
    work: PathBuf,
    /// Fixture bundles (`smoke.c`'s FIXTURE_DIR).
    fixtures: PathBuf,
    /// The install prefix holding lib/, include/ and lib/pkgconfig/.
    prefix: PathBuf,
}

fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("c-api");
        if work.exists() {
            std::fs::remove_dir_all(&work).expect("clear the scratch directory");
        }
        let fixtures = work.join("fixtures");
        let prefix = work.join("prefix");
        std::fs::create_dir_all(&fixtures).unwrap();
        write_fixtures(&fixtures);
        let lib_dir = built_lib_dir();
        run(Command::new(Path::new(ROOT).join("hdrl-ffi/install.sh"))
            .arg("--prefix")
            .arg(&prefix)
            .arg("--lib-dir")
            .arg(&lib_dir)
            .arg("--no-build"));
        Setup { work, fixtures, prefix }
    })
}

/// The directory holding the libhdrl.a and libhdrl.so that cargo built for this test run:
/// this binary lives in `<target>/<profile>/deps/`; cargo puts the libraries of a dependency
/// in that `deps/` and uplifts those of a requested package to `<target>/<profile>/`. Of the
/// two, the one with the newer libraries.
fn built_lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("path of the test binary");
    let deps = exe.parent().expect("deps dir").to_path_buf();
    let profile = deps.parent().expect("profile dir").to_path_buf();
    let newest = |dir: &Path| -> Option<SystemTime> {
        let a = std::fs::metadata(dir.join("libhdrl.a")).ok()?.modified().ok()?;
        let so = std::fs::metadata(dir.join("libhdrl.so")).ok()?.modified().ok()?;
        Some(a.min(so))
    };
    [deps, profile]
        .into_iter()
        .filter_map(|d| newest(&d).map(|t| (t, d)))
        .max_by_key(|(t, _)| *t)
        .map(|(_, d)| d)
        .unwrap_or_else(|| {
            panic!(
                "libhdrl.a and libhdrl.so not found next to {}: build hdrl-ffi with the same \
                 profile (cargo test builds it as a dev-dependency of the root package)",
                exe.display()
            )
        })
}

/// The bundles `smoke.c` and `threads.c` read: two good ones, a DQN-only one, one whose
/// DQN overflows, and one bad bundle per bundle status that only a re-encoded body can
/// provoke.
fn write_fixtures(dir: &Path) {
    let f32_bytes = fixtures::seeded_bundle(7, Quant::F32);
    let i8_bytes = fixtures::seeded_bundle(7, Quant::I8);
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).unwrap();
    write("model-f32.hdrl", &f32_bytes);
    write("model-i8.hdrl", &i8_bytes);
    write("not-a-bundle.txt", b"provider,region\naws,us-east-1\n");

    let good = Bundle::parse(&f32_bytes).unwrap();
    let other = Bundle::parse(&i8_bytes).unwrap();
    let encode = |b: &Bundle<'_>| b.to_bytes().unwrap();

    let mut b = good.clone();
    b.models.truncate(1);
    write("dqn-only.hdrl", &encode(&b));

    let mut b = good.clone();
    b.models[0].quant = 9; // no such quantisation tag
    write("bad-malformed.hdrl", &encode(&b));

    let mut b = good.clone();
    b.models[1].kind = 7;
    write("bad-unknown-kind.hdrl", &encode(&b));

    let mut b = good.clone();
    b.models[1] = other.models[1].clone();
    write("bad-wrong-quant.hdrl", &encode(&b));

    let mut b = good.clone();
    b.models[0].dims[0] += 1;
    write("bad-shape.hdrl", &encode(&b));

    let mut b = good.clone();
    let p = b.models[2].payload;
    b.models[2].payload = &p[..p.len() - 4];
    write("bad-payload-size.hdrl", &encode(&b));

    let mut nan_payload = good.models[0].payload.to_vec();
    nan_payload[..4].copy_from_slice(&f32::NAN.to_le_bytes());
    let mut b = good.clone();
    b.models[0].payload = &nan_payload;
    write("bad-non-finite-weight.hdrl", &encode(&b));

    // Finite but huge weights: loads, then every DQN forward pass overflows.
    let huge: Vec<u8> = good.models[0].payload.chunks(4).flat_map(|_| 3.0e38f32.to_le_bytes()).collect();
    let mut b = good.clone();
    b.models[0].payload = &huge;
    write("non-finite-output.hdrl", &encode(&b));

    let mut b = good.clone();
    b.encoder.app[1].hi = 0.0;
    write("bad-encoder.hdrl", &encode(&b));

    let mut b = good.clone();
    b.models[1] = b.models[0].clone();
    write("bad-duplicate-model.hdrl", &encode(&b));
}

/// Run a command to success and return its stdout.
///
/// `cargo test` puts `<target>/<profile>` and its `deps/` on `LD_LIBRARY_PATH`, which the
/// loader searches before a program's rpath; a stale uplifted libhdrl.so there would be
/// loaded instead of the installed one. Programs run here see what a user's would: no
/// `LD_LIBRARY_PATH`, so the rpath from `hdrl.pc` decides.
fn run(cmd: &mut Command) -> String {
    let out = cmd.env_remove("LD_LIBRARY_PATH").output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{cmd:?} failed ({})\nstdout:\n{stdout}\nstderr:\n{stderr}", out.status);
    stdout
}

fn pkg_config(s: &Setup, args: &[&str]) -> Vec<String> {
    let out = run(Command::new("pkg-config").env("PKG_CONFIG_PATH", s.prefix.join("lib/pkgconfig")).args(args));
    out.split_whitespace().map(str::to_owned).collect()
}

/// Where the pkg-config flags go on the compiler's command line.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Order {
    /// `cc app.c $(pkg-config ...)`: what the README recommends; works for both links.
    SourcesFirst,
    /// `cc $(pkg-config ...) app.c`: the spelling; works for the shared library.
    FlagsFirst,
}

/// Compile `tests/c/<name>.c` as the README shows, with the pkg-config flags of `link`,
/// once per name, link, order and extra flags; tests share the binaries.
fn compile(name: &str, link: Link, order: Order, extra: &[&str]) -> PathBuf {
    static BUILT: Mutex<BTreeMap<String, PathBuf>> = Mutex::new(BTreeMap::new());
    let s = setup();
    let key = format!("{name}-{link:?}-{order:?}{}", extra.concat()).to_lowercase().replace(['-', '='], "_");
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(exe) = built.get(&key) {
        return exe.clone();
    }
    let exe = s.work.join(&key);
    let src = Path::new(ROOT).join("tests/c").join(format!("{name}.c"));
    let flags = pkg_config(s, &["--cflags", "--libs", link.package()]);
    let mut cc = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()));
    cc.args(CFLAGS).args(extra);
    match order {
        Order::SourcesFirst => cc.arg(&src).args(&flags),
        Order::FlagsFirst => cc.args(&flags).arg(&src),
    };
    run(cc.args(["-lm", "-pthread", "-o"]).arg(&exe));
    built.insert(key, exe.clone());
    exe
}

fn smoke(link: Link) {
    let exe = compile("smoke", link, Order::SourcesFirst, &[]);
    let out = run(Command::new(&exe).arg(&setup().fixtures));
    assert!(out.starts_with("smoke: ok"), "{out}");
}

#[test]
fn smoke_dynamic() {
    smoke(Link::Dynamic);
}

#[test]
fn smoke_static() {
    smoke(Link::Static);
}

fn threads(link: Link, bundle: &str, decisions: usize) {
    let exe = compile("threads", link, Order::SourcesFirst, &[]);
    let out =
        run(Command::new(&exe).arg(setup().fixtures.join(bundle)).arg(THREADS.to_string()).arg(decisions.to_string()));
    println!("{link:?}, {bundle}: {out}");
    let want = format!("threads: ok, {THREADS} threads x {decisions} decisions");
    assert!(out.contains(&want), "{out}");
}

#[test]
fn threads_dynamic() {
    threads(Link::Dynamic, "model-i8.hdrl", DECISIONS_PER_THREAD);
}

#[test]
fn threads_static() {
    threads(Link::Static, "model-f32.hdrl", DECISIONS_PER_THREAD_STATIC);
}

/// The README's example, compiled exactly as the README shows, runs and decides.
#[test]
fn readme_example() {
    let builds =
        [(Link::Dynamic, Order::SourcesFirst), (Link::Dynamic, Order::FlagsFirst), (Link::Static, Order::SourcesFirst)];
    for (link, order) in builds {
        let exe = compile("example", link, order, &[]);
        let out = run(Command::new(&exe).arg(setup().fixtures.join("model-f32.hdrl")));
        assert!(out.contains(" MB, ") && out.ends_with(" warm instances\n"), "{out}");
    }
}

/// The dynamic build really loads libhdrl.so (and the static one does not need it).
#[test]
fn dynamic_build_depends_on_the_shared_library() {
    let dynamic = compile("smoke", Link::Dynamic, Order::SourcesFirst, &[]);
    let static_ = compile("smoke", Link::Static, Order::SourcesFirst, &[]);
    let (dynamic, static_) = (std::fs::metadata(dynamic).unwrap(), std::fs::metadata(static_).unwrap());
    assert!(dynamic.len() * 4 < static_.len(), "dynamic {} bytes vs static {} bytes", dynamic.len(), static_.len());
}

/// `smoke.c` under valgrind's memcheck, both links: zero errors, zero bytes leaked (definitely,
/// indirectly or possibly lost). Run by `tests/c/memcheck.sh`.
#[test]
#[ignore = "slow; run by tests/c/memcheck.sh"]
fn smoke_under_valgrind() {
    for link in [Link::Dynamic, Link::Static] {
        let exe = compile("smoke", link, Order::SourcesFirst, &["-g"]);
        let out = Command::new("valgrind")
            .env_remove("LD_LIBRARY_PATH") // as in `run`
            .args([
                "--tool=memcheck",
                "--leak-check=full",
                "--show-leak-kinds=all",
                "--errors-for-leak-kinds=definite,indirect,possible",
                "--error-exitcode=99",
            ])
            .arg(&exe)
            .arg(&setup().fixtures)
            .output()
            .expect("run valgrind (is it installed?)");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let summary: Vec<&str> = stderr
            .lines()
            .filter(|l| {
                l.contains("ERROR SUMMARY")
                    || l.contains("lost:")
                    || l.contains("still reachable:")
                    || l.contains("in use at exit")
                    || l.contains("All heap blocks were freed")
            })
            .collect();
        println!("valgrind, {link:?} link:\n{}", summary.join("\n"));
        assert!(out.status.success(), "valgrind reported errors ({}):\n{stderr}", out.status);
        assert!(stderr.contains("ERROR SUMMARY: 0 errors"), "{stderr}");
    }
}
