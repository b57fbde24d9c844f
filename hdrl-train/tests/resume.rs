//! Resume after a crash: `hdrl train` killed with SIGKILL in the middle of training resumes
//! from its last checkpoint and ends with exactly the weights of an uninterrupted run with the
//! same seed (the model payloads of the exported `.hdrl` files are compared byte for byte;
//! their provenance holds a timestamp and may differ). Every output is written atomically:
//! after a completed run, interrupted or not, no `*.tmp` or `*.old` file or directory is
//! left behind.

use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hdrl_infer::Bundle;

/// Small budgets: each run takes a few seconds, long enough to be interrupted in the middle.
const CONFIG: &str = r#"{
  "seed": 7,
  "scale": 0.05,
  "lstm": { "max_epochs": 6, "batches_per_epoch": 16, "batch": 64, "val_windows": 128, "early_stop_patience": 100 },
  "ppo": { "updates": 40, "rollout": 512, "epochs": 3, "val_pairs": 30 },
  "dqn": { "steps": 1600, "round": 200, "warmup": 100, "eps_decay_steps": 400, "replay": 5000 }
}"#;

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hdrl-resume-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("config.in.json"), CONFIG).unwrap();
    d
}

fn train(learner: &str, root: &Path, out: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_hdrl"));
    c.args(["train", learner, "--quiet", "--config"])
        .arg(root.join("config.in.json"))
        .arg("--out")
        .arg(root.join(out))
        .stdout(Stdio::null());
    c
}

/// Run to completion; returns stderr.
fn run(learner: &str, root: &Path, out: &str) -> String {
    let o = train(learner, root, out).output().expect("run hdrl");
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "hdrl train {learner} failed: {err}");
    err
}

/// The progress counter (`epoch` or `update`) of the last checkpoint, if one exists.
fn checkpoint_progress(ckpt: &Path, key: &str) -> Option<u64> {
    let text = std::fs::read(ckpt.join("state.json")).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&text).ok()?;
    v[key].as_u64()
}

/// Start a run and SIGKILL it as soon as its checkpoint has reached `at` (so the kill lands
/// inside the next epoch or update, or while it writes a checkpoint); returns the progress
/// of the checkpoint the kill left behind.
fn kill_after(learner: &str, root: &Path, out: &str, key: &str, at: u64, total: u64) -> u64 {
    let ckpt = root.join(out).join("checkpoints").join(learner);
    let mut child: Child = train(learner, root, out).stderr(Stdio::null()).spawn().expect("spawn hdrl");
    let t0 = Instant::now();
    loop {
        if checkpoint_progress(&ckpt, key).is_some_and(|p| p >= at) {
            break;
        }
        if let Some(st) = child.try_wait().unwrap() {
            panic!("hdrl train {learner} exited ({st}) before its checkpoint reached {key} {at}");
        }
        assert!(t0.elapsed() < Duration::from_secs(300), "no checkpoint after 300 s");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL on Unix: no destructor, no flush, no cleanup
    let st = child.wait().unwrap();
    assert_eq!(st.signal(), Some(9), "the run was meant to be killed, but it ended with {st}");
    let p = checkpoint_progress(&ckpt, key).expect("a checkpoint survives the kill");
    assert!(p < total, "the run had already finished ({key} {p} of {total})");
    p
}

/// (kind, quant, dims, payload) of every model in an exported file: everything but provenance.
fn models(path: &Path) -> Vec<(u8, u8, Vec<u32>, Vec<u8>)> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let b = Bundle::parse(&bytes).unwrap();
    b.models.iter().map(|r| (r.kind, r.quant, r.dims.to_vec(), r.payload.to_vec())).collect()
}

fn assert_same_weights(learner: &str, a: &Path, b: &Path) {
    for q in ["f32", "int8"] {
        let file = format!("models/{learner}.{q}.hdrl");
        let (ma, mb) = (models(&a.join(&file)), models(&b.join(&file)));
        assert!(!ma.is_empty());
        assert!(ma == mb, "{file}: the resumed run's weights differ from the uninterrupted run's");
    }
}

fn assert_no_temporaries(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.ends_with(".tmp") && !name.ends_with(".old"), "left behind: {}", p.display());
        if p.is_dir() {
            assert_no_temporaries(&p);
        }
    }
}

/// The same losses, epoch by epoch (wall times differ).
fn assert_same_history(file: &str, a: &Path, b: &Path, keys: &[&str]) {
    let read =
        |d: &Path| -> serde_json::Value { serde_json::from_slice(&std::fs::read(d.join(file)).unwrap()).unwrap() };
    let (ha, hb) = (read(a), read(b));
    let (ha, hb) = (ha.as_array().unwrap(), hb.as_array().unwrap());
    assert_eq!(ha.len(), hb.len(), "{file}: different numbers of records");
    for (i, (x, y)) in ha.iter().zip(hb).enumerate() {
        for k in keys {
            assert_eq!(x[k], y[k], "{file} record {i}: {k}");
        }
    }
}

#[test]
fn lstm_killed_twice_resumes_to_the_same_weights() {
    let root = scratch("lstm");
    run("lstm", &root, "straight");
    let first = kill_after("lstm", &root, "resumed", "epoch", 1, 6);
    // Resume, and kill the resumed run too.
    let second = kill_after("lstm", &root, "resumed", "epoch", first + 2, 6);
    assert!(second > first);
    let err = run("lstm", &root, "resumed");
    assert!(err.contains(&format!("resumed from {}", root.join("resumed/checkpoints/lstm").display())), "{err}");
    assert!(err.contains(&format!("at epoch {second}")), "{err}");
    let (a, b) = (root.join("straight"), root.join("resumed"));
    assert_same_weights("lstm", &a, &b);
    assert_same_history("history_lstm.json", &a, &b, &["epoch", "train_loss", "val_loss", "lr"]);
    assert_no_temporaries(&a);
    assert_no_temporaries(&b);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn ppo_killed_mid_run_resumes_to_the_same_weights() {
    let root = scratch("ppo");
    run("ppo", &root, "straight");
    let at = kill_after("ppo", &root, "resumed", "update", 5, 40);
    let err = run("ppo", &root, "resumed");
    assert!(err.contains(&format!("at update {at}")), "{err}");
    let (a, b) = (root.join("straight"), root.join("resumed"));
    assert_same_weights("ppo", &a, &b);
    assert_same_history("history_ppo.json", &a, &b, &["update", "policy_loss", "value_loss", "val_reward"]);
    assert_no_temporaries(&a);
    assert_no_temporaries(&b);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn dqn_killed_mid_run_resumes_to_the_same_weights() {
    let root = scratch("dqn");
    run("dqn", &root, "straight");
    let at = kill_after("dqn", &root, "resumed", "step", 400, 1600);
    let err = run("dqn", &root, "resumed");
    assert!(err.contains(&format!("at step {at}")), "{err}");
    let (a, b) = (root.join("straight"), root.join("resumed"));
    assert_same_weights("dqn", &a, &b);
    assert_same_history("history_dqn.json", &a, &b, &["step", "loss", "epsilon", "val_reward"]);
    assert_no_temporaries(&a);
    assert_no_temporaries(&b);
    let _ = std::fs::remove_dir_all(&root);
}
