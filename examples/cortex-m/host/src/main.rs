//! Host side of the Cortex-M4F test.
//!
//! ```text
//! hdrl-edge-host bundle DIR
//!     write DIR/int8.hdrl and DIR/f32.hdrl: fixtures::seeded_bundle(BUNDLE_SEED, ...)
//! hdrl-edge-host expect int8|f32
//!     print the lines the firmware should print, computed on this machine
//! hdrl-edge-host check int8|f32 --log FILE --elf FILE [--max-flash BYTES] [--max-ram BYTES]
//!     compare the firmware's output with the host's decisions (generic kernels and this
//!     CPU's fastest ones), report flash and RAM, fail on any mismatch or exceeded limit
//! ```

mod elf;
mod lines;

use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use hdrl_edge_scenario::{self as scenario, BUNDLE_SEED, STEPS};
use hdrl_infer::{F32, Hierarchy, I8, Kernels, Precision, Quant, Window, fixtures};

use lines::{Agreement, Record};

type Res<T> = Result<T, Box<dyn Error>>;

fn quant_arg(s: Option<&str>) -> Res<(Quant, &'static str)> {
    match s {
        Some("int8") => Ok((Quant::I8, "int8")),
        Some("f32") => Ok((Quant::F32, "f32")),
        other => Err(format!("expected int8 or f32, got {other:?}").into()),
    }
}

/// Write a file only when its bytes change, so cargo does not rebuild the firmware for nothing.
fn write_if_changed(path: &Path, bytes: &[u8]) -> Res<()> {
    if std::fs::read(path).ok().as_deref() != Some(bytes) {
        std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

fn bundle(dir: &Path) -> Res<()> {
    std::fs::create_dir_all(dir)?;
    for (quant, name) in [(Quant::I8, "int8"), (Quant::F32, "f32")] {
        let path = dir.join(format!("{name}.hdrl"));
        let bytes = fixtures::seeded_bundle(BUNDLE_SEED, quant);
        write_if_changed(&path, &bytes)?;
        println!(
            "{} ({} bytes, seed {BUNDLE_SEED})",
            path.display(),
            bytes.len()
        );
    }
    Ok(())
}

/// The step lines the host computes for the scenario with the given kernels.
fn host_lines<P: Precision>(bytes: &[u8], kernels: Kernels) -> Res<Vec<String>> {
    let mut model = Hierarchy::<P>::load(bytes)?;
    model.set_kernels(kernels);
    let mut window = Window::new();
    let mut out = Vec::with_capacity(STEPS);
    for step in 0..STEPS {
        let result = model.decide(&mut window, &scenario::observation(step));
        let mut line = String::new();
        scenario::write_step(&mut line, step, &result)?;
        out.push(line);
    }
    Ok(out)
}

fn expected(quant: Quant, kernels: Kernels) -> Res<Vec<String>> {
    let bytes = fixtures::seeded_bundle(BUNDLE_SEED, quant);
    match quant {
        Quant::I8 => host_lines::<I8>(&bytes, kernels),
        Quant::F32 => host_lines::<F32>(&bytes, kernels),
    }
}

fn expect(quant: Quant, name: &str) -> Res<()> {
    let bytes = fixtures::seeded_bundle(BUNDLE_SEED, quant);
    let mut begin = String::new();
    scenario::write_begin(&mut begin, name, BUNDLE_SEED, bytes.len())?;
    println!("{begin}");
    for line in expected(quant, Kernels::generic())? {
        println!("{line}");
    }
    Ok(())
}

struct CheckArgs {
    quant: Quant,
    name: &'static str,
    log: PathBuf,
    elf: PathBuf,
    max_flash: Option<u64>,
    max_ram: Option<u64>,
}

fn field<T: std::str::FromStr>(r: &Record, key: &str) -> Res<T> {
    r.number(key).ok_or_else(|| {
        format!(
            "`{} {}` line lacks a numeric {key}",
            scenario::PREFIX,
            r.kind
        )
        .into()
    })
}

/// Compare the device's step records with the host's lines; print one summary line.
fn agree(device: &[&Record], host: &[String], label: &str, failures: &mut Vec<String>) {
    let mut a = Agreement::default();
    let mut agreeing = 0;
    for (step, (d, h)) in device.iter().zip(host).enumerate() {
        let before = a.problems.len();
        match lines::parse(h) {
            Some(h) => lines::compare(d, &h, &mut a),
            None => a.problems.push(format!("host line unparsable: {h}")),
        }
        if a.problems.len() == before {
            agreeing += 1;
        }
        for p in &mut a.problems[before..] {
            *p = format!("step {step} vs {label}: {p}");
        }
    }
    println!(
        "  vs {label}: {agreeing} of {} steps agree; {} of {} floats bit-identical, max relative difference {:.1e} (tolerance {:e})",
        host.len(),
        a.identical,
        a.floats,
        a.max_rel,
        lines::REL_TOL,
    );
    failures.extend(a.problems);
}

fn check(args: &CheckArgs) -> Res<bool> {
    let log =
        std::fs::read_to_string(&args.log).map_err(|e| format!("{}: {e}", args.log.display()))?;
    let records: Vec<Record> = log.lines().filter_map(lines::parse).collect();
    let first = |kind: &str| records.iter().find(|r| r.kind == kind);
    let mut failures = Vec::new();

    let bundle = fixtures::seeded_bundle(BUNDLE_SEED, args.quant);
    match first("begin") {
        None => failures.push("no begin line: the firmware did not start".to_owned()),
        Some(b) => {
            let want = [
                ("quant", args.name.to_owned()),
                ("seed", BUNDLE_SEED.to_string()),
                ("steps", STEPS.to_string()),
                ("bundle_bytes", bundle.len().to_string()),
            ];
            for (k, v) in want {
                if b.get(k) != Some(v.as_str()) {
                    failures.push(format!("begin line: {k}={:?}, expected {v}", b.get(k)));
                }
            }
        }
    }
    let steps: Vec<&Record> = records
        .iter()
        .filter(|r| r.kind == "decision" || r.kind == "error")
        .collect();
    if steps.len() != STEPS {
        failures.push(format!("{} step lines, expected {STEPS}", steps.len()));
    }
    let decisions = steps.iter().filter(|r| r.kind == "decision").count();
    println!(
        "{}: {} step lines from the firmware ({decisions} decisions, {} InferError)",
        args.name,
        steps.len(),
        steps.len() - decisions
    );
    agree(
        &steps,
        &expected(args.quant, Kernels::generic())?,
        "host, generic kernels",
        &mut failures,
    );
    let fastest = Kernels::detect();
    agree(
        &steps,
        &expected(args.quant, fastest)?,
        &format!("host, {:?} kernels", fastest.tier),
        &mut failures,
    );

    let image = std::fs::read(&args.elf).map_err(|e| format!("{}: {e}", args.elf.display()))?;
    let sections = elf::sections(&image)?;
    let fp = elf::footprint(&sections);
    let mut listing = String::new();
    for s in sections.iter().filter(|s| s.alloc && s.size > 0) {
        let _ = write!(listing, " {} {}", s.name, s.size);
    }
    println!("  sections (bytes):{listing}");
    match first("footprint") {
        None => failures.push("no footprint line".to_owned()),
        Some(f) => {
            let linked: u64 = field(f, "static_ram")?;
            let region: u64 = field(f, "stack_region")?;
            let peak: u64 = field(f, "stack_peak")?;
            let ram = fp.static_ram + peak;
            let weights = bundle.len() as u64;
            println!(
                "  flash {} B = {} B code + {} B read-only data ({} B of it the weight bundle) + {} B initial .data",
                fp.flash, fp.code, fp.rodata, weights, fp.data_image
            );
            println!(
                "  RAM   {} B = {} B static (.data + .bss + .uninit; {} B as linked) + {} B peak stack (painted region {} B)",
                ram, fp.static_ram, linked, peak, region
            );
            println!(
                "{} footprint quant={} flash={} code={} rodata={} weights={} data_image={} static_ram={} stack_peak={} ram={}",
                scenario::PREFIX,
                args.name,
                fp.flash,
                fp.code,
                fp.rodata,
                weights,
                fp.data_image,
                fp.static_ram,
                peak,
                ram
            );
            if peak >= region {
                failures.push(format!(
                    "stack reached the end of its {region} B region: it overflowed"
                ));
            }
            if let Some(max) = args.max_flash {
                let ok = fp.flash <= max;
                println!(
                    "  flash {} B <= {max} B: {}",
                    fp.flash,
                    if ok { "ok" } else { "EXCEEDED" }
                );
                if !ok {
                    failures.push(format!("flash {} B exceeds {max} B", fp.flash));
                }
            }
            if let Some(max) = args.max_ram {
                let ok = ram <= max;
                println!(
                    "  RAM {ram} B <= {max} B: {}",
                    if ok { "ok" } else { "EXCEEDED" }
                );
                if !ok {
                    failures.push(format!("RAM {ram} B exceeds {max} B"));
                }
            }
        }
    }
    if first("end").and_then(|r| r.get("status")) != Some("ok") {
        failures.push("no `end status=ok` line: the firmware did not finish".to_owned());
    }
    for f in &failures {
        eprintln!("MISMATCH {}: {f}", args.name);
    }
    Ok(failures.is_empty())
}

fn parse_check(mut it: impl Iterator<Item = String>) -> Res<CheckArgs> {
    let (quant, name) = quant_arg(it.next().as_deref())?;
    let (mut log, mut elf, mut max_flash, mut max_ram) = (None, None, None, None);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--log" => log = Some(PathBuf::from(value)),
            "--elf" => elf = Some(PathBuf::from(value)),
            "--max-flash" => max_flash = Some(value.parse()?),
            "--max-ram" => max_ram = Some(value.parse()?),
            _ => return Err(format!("unknown option {flag}").into()),
        }
    }
    Ok(CheckArgs {
        quant,
        name,
        log: log.ok_or("--log is required")?,
        elf: elf.ok_or("--elf is required")?,
        max_flash,
        max_ram,
    })
}

fn run() -> Res<bool> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("bundle") => bundle(Path::new(&args.next().ok_or("bundle DIR")?)).map(|()| true),
        Some("expect") => {
            let (q, name) = quant_arg(args.next().as_deref())?;
            expect(q, name).map(|()| true)
        }
        Some("check") => check(&parse_check(args)?),
        _ => Err("usage: hdrl-edge-host bundle DIR | expect int8|f32 | check int8|f32 --log FILE --elf FILE [--max-flash BYTES] [--max-ram BYTES]".into()),
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("hdrl-edge-host: {e}");
            ExitCode::from(2)
        }
    }
}
