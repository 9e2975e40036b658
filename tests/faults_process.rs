//! Faults around the real binary and its store: damaged database files, a store held by another
//! running bot, a full disk, file modes, and the token kept out of every log line. Each case
//! checks for a clear error that names the place, no panic, and nothing stored silently lost.

#![cfg(unix)]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use bar_raiser::store::{
    Attempt, AttemptId, AttemptSummary, Mode, SledStore, StarPresence, Store, StoreError, UserKey,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use support::discord::FakeDiscord;

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_bar-raiser"))
}

fn attempt(user: &UserKey, n: usize, answer: &str) -> Attempt {
    let at: jiff::Timestamp = "2026-11-01T10:00:00Z".parse().expect("instant");
    let at = at + jiff::SignedDuration::from_secs(n as i64 * 60);
    Attempt {
        id: AttemptId::new(format!("attempt-{n}")),
        user: user.clone(),
        question_id: "customer-obsession-1".into(),
        lps: vec!["customer-obsession".into()],
        answer: answer.into(),
        summary: AttemptSummary {
            score: 3,
            star: StarPresence {
                situation: true,
                task: true,
                action: true,
                result: false,
            },
            missing: vec!["result".into()],
            singular: 3,
            plural: 0,
            hypothetical: false,
            quantified_result: false,
            words: 40,
        },
        mode: Mode::Solo,
        guild: None,
        started_at: at,
        finished_at: at,
    }
}

/// Runs the binary with `args` in an empty folder (no config file), store in `data`.
fn run(args: &[&str], data: &Path, envs: &[(&str, &str)]) -> Output {
    let work = data.parent().expect("data has a parent");
    let mut command = Command::new(binary());
    command
        .args(args)
        .current_dir(work)
        .env("BAR_RAISER_DATA", data)
        .env("USER", "alice")
        .env("RUST_LOG", "info")
        .env_remove("DISCORD_TOKEN")
        .env_remove("DISCORD_API_BASE")
        .stdin(Stdio::null());
    for (key, value) in envs {
        command.env(key, value);
    }
    command.output().expect("run bar-raiser")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn assert_no_panic(output: &Output, case: &str) {
    let all = text(output);
    assert!(
        !all.contains("panicked") && output.status.code().is_some(),
        "{case}: the binary panicked or died by a signal ({:?}):\n{all}",
        output.status
    );
}

/// A store with `n` attempts by the terminal user "alice", closed cleanly.
fn seeded_store(data: &Path, n: usize) {
    let store = SledStore::open(data).expect("open store");
    let alice = UserKey::local("alice");
    for i in 0..n {
        store
            .record_attempt(&attempt(&alice, i, &format!("my story number {i}")))
            .expect("record");
    }
}

/// Truncations and overwrites of each database file at seeded random places: the binary either
/// shows every attempt or refuses with an error naming the store; never panics, never shows a
/// silently shortened history.
#[test]
fn damaged_database_files_are_refused_clearly_or_read_whole() {
    let mut rng = StdRng::seed_from_u64(0xDA7A_0007);
    let pristine_dir = tempfile::tempdir().expect("temp");
    let pristine = pristine_dir.path().join("data");
    seeded_store(&pristine, 12);
    let files: Vec<PathBuf> = std::fs::read_dir(&pristine)
        .expect("list store")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file() && std::fs::metadata(p).is_ok_and(|m| m.len() > 0))
        .collect();
    assert!(!files.is_empty());

    let (mut cases, mut refused, mut read_whole) = (0, 0, 0);
    for round in 0..24 {
        let work = tempfile::tempdir().expect("temp");
        let data = work.path().join("data");
        copy_dir(&pristine, &data);
        let victim = data.join(
            files[rng.gen_range(0..files.len())]
                .file_name()
                .expect("file name"),
        );
        let len = std::fs::metadata(&victim).expect("meta").len();
        let damage = match round % 3 {
            0 => {
                let keep = rng.gen_range(0..len);
                set_len(&victim, keep);
                format!("{} truncated to {keep} of {len} bytes", victim.display())
            }
            1 => {
                let mut bytes = std::fs::read(&victim).expect("read");
                let start = rng.gen_range(0..bytes.len());
                let end = (start + rng.gen_range(1..512)).min(bytes.len());
                for b in &mut bytes[start..end] {
                    *b = rng.gen();
                }
                std::fs::write(&victim, bytes).expect("write");
                format!("{} bytes {start}..{end} overwritten", victim.display())
            }
            _ => {
                std::fs::write(&victim, b"").expect("write");
                format!("{} emptied", victim.display())
            }
        };
        cases += 1;
        let output = run(&["history", "-n", "100"], &data, &[]);
        assert_no_panic(&output, &damage);
        let all = text(&output);
        if output.status.success() {
            let shown =
                all.matches("customer-obsession-1").count() + all.matches("customer needs").count();
            let listed = all.lines().filter(|l| l.contains("/5")).count();
            assert_eq!(
                listed, 12,
                "{damage}: history opened but shows {listed} of 12 attempts ({shown}):\n{all}"
            );
            read_whole += 1;
        } else {
            assert!(
                all.contains(&data.display().to_string()),
                "{damage}: the error does not name the store:\n{all}"
            );
            refused += 1;
        }
    }
    eprintln!("damaged stores: {cases} cases, {refused} refused clearly, {read_whole} read whole");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("list") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

fn set_len(path: &Path, len: u64) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .expect("open")
        .set_len(len)
        .expect("truncate");
}

fn wait_registered(discord: &FakeDiscord, child: &mut std::process::Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while discord
        .calls_matching(|c| c.method == "PUT" && c.path.ends_with("/commands"))
        .is_empty()
    {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the first bot exited early: {status}");
        }
        assert!(Instant::now() < deadline, "the first bot never registered");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A second bot on the same store while the first runs: a clear "locked" error naming the path,
/// exit code 1, no panic; the first bot's files are owner-only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_bot_on_a_store_in_use_is_refused_with_the_path() {
    let discord = FakeDiscord::start().await;
    let work = tempfile::tempdir().expect("temp");
    let data = work.path().join("data");
    let mut first = Command::new(binary())
        .arg("bot")
        .current_dir(work.path())
        .env("DISCORD_TOKEN", discord.token())
        .env("DISCORD_API_BASE", discord.api_base())
        .env("BAR_RAISER_DATA", &data)
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the first bot");
    let token = discord.token();
    let api = discord.api_base();
    let (first_alive, second) = tokio::task::spawn_blocking({
        let data = data.clone();
        move || {
            wait_registered(&discord, &mut first);
            let second = run(
                &["bot"],
                &data,
                &[("DISCORD_TOKEN", &token), ("DISCORD_API_BASE", &api)],
            );
            let alive = first.try_wait().ok().flatten().is_none();
            let _ = first.kill();
            let _ = first.wait();
            (alive, second)
        }
    })
    .await
    .expect("join");
    assert_no_panic(&second, "second bot");
    let all = text(&second);
    assert_eq!(second.status.code(), Some(1), "{all}");
    assert!(all.contains("locked"), "{all}");
    assert!(all.contains(&data.display().to_string()), "{all}");
    assert!(first_alive, "the first bot kept running");

    let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
    assert_eq!(
        mode(&data) & 0o077,
        0,
        "store dir is mode {:o}",
        mode(&data)
    );
    for entry in std::fs::read_dir(&data).expect("list") {
        let path = entry.expect("entry").path();
        let m = mode(&path);
        assert_eq!(m & 0o077, 0, "{} is mode {m:o}", path.display());
    }
}

/// A failing start (nothing listens at DISCORD_API_BASE) with info logging: the token appears
/// nowhere in what the binary prints.
#[test]
fn the_token_never_appears_in_logs_or_errors() {
    let work = tempfile::tempdir().expect("temp");
    let data = work.path().join("data");
    let token = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GsEcReT.never-print-me-0123456789abcdef";
    // A port nothing listens on (bound, then released).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let api = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(binary())
        .arg("bot")
        .current_dir(work.path())
        .env("DISCORD_TOKEN", token)
        .env("DISCORD_API_BASE", &api)
        .env("BAR_RAISER_DATA", &data)
        .env("RUST_LOG", "trace")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // It either gives up with an error or keeps retrying; give it a few seconds either way.
    let deadline = Instant::now() + Duration::from_secs(8);
    while Instant::now() < deadline && child.try_wait().ok().flatten().is_none() {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let output = child.wait_with_output().expect("output");
    let all = text(&output);
    assert!(!all.is_empty(), "the failing start printed nothing at all");
    let secret_part = "GsEcReT.never-print-me";
    assert!(
        !all.contains(token) && !all.contains(secret_part),
        "the token leaked into the output:\n{all}"
    );
    // A bad token file is also reported without its content.
    let token_file = work.path().join("token");
    std::fs::write(&token_file, format!("{token}\n")).expect("token file");
    let config = work.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[discord]\ntoken_file = \"{}\"\ndev_guild_id = \"{token}\"\n",
            token_file.display()
        ),
    )
    .expect("config");
    let output = run(
        &["--config", config.to_str().expect("utf-8"), "bot"],
        &data,
        &[],
    );
    assert_no_panic(&output, "bad config with a token inside");
    let all = text(&output);
    assert!(!output.status.success(), "{all}");
    assert!(
        !all.contains(secret_part),
        "the token leaked in a config error:\n{all}"
    );
}

/// Writes until a small tmpfs is full: every failed write is a clear error naming the store (no
/// panic), and every write that succeeded is still there after a reopen. Needs root to mount;
/// skipped (with a note) otherwise.
#[test]
fn a_full_disk_fails_writes_clearly_and_keeps_what_was_stored() {
    let base = tempfile::tempdir().expect("temp");
    let mount_point = base.path().join("small");
    std::fs::create_dir_all(&mount_point).expect("mkdir");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=2m", "tmpfs"])
        .arg(&mount_point)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("full disk: skipped (cannot mount a tmpfs here; needs root)");
        return;
    }
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mount_point.clone());
    let data = mount_point.join("data");
    let alice = UserKey::local("alice");
    let big = "I led the migration of our billing system. ".repeat(200);
    let mut stored = 0usize;
    let mut failure = None;
    {
        let store = match SledStore::open(&data) {
            Ok(store) => store,
            Err(err) => panic!("a fresh store on an empty 2 MB tmpfs must open: {err}"),
        };
        for i in 0..5_000 {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                store.record_attempt(&attempt(&alice, i, &format!("{i}: {big}")))
            }));
            match result {
                Ok(Ok(())) => stored += 1,
                Ok(Err(err)) => {
                    failure = Some(err);
                    break;
                }
                Err(_) => panic!("writing to a full disk panicked after {stored} attempts"),
            }
        }
        // Reads still work while the disk is full.
        if let Ok(count) = store.attempt_count(&alice) {
            assert!(count >= stored, "{count} < {stored} while full");
        }
    }
    let err = failure.expect("2 MB must fill up");
    let text = err.to_string();
    assert!(
        matches!(err, StoreError::Io { .. } | StoreError::Backend { .. }),
        "{text}"
    );
    assert!(
        text.contains(&data.display().to_string()),
        "the error does not name the store: {text}"
    );
    // Room again (as after freeing space): everything confirmed is there.
    let grown = Command::new("mount")
        .args(["-o", "remount,size=64m"])
        .arg(&mount_point)
        .status()
        .is_ok_and(|s| s.success());
    assert!(grown, "remount the tmpfs larger");
    let store = SledStore::open(&data).expect("reopen after freeing space");
    let count = store.attempt_count(&alice).expect("count");
    assert!(
        count >= stored,
        "{stored} writes were confirmed but only {count} attempts are there"
    );
    eprintln!("full disk: {stored} attempts stored before the error: {text}");
}
