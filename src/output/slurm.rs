//! Slurm job arrays: one array task per shard (`endotrial run --shard K/N`) and a merge job that
//! depends on the whole array. endotrial writes the scripts; Slurm schedules them.

use std::path::Path;

/// Resources and placement of the generated jobs.
#[derive(Debug, Clone)]
pub struct SlurmOptions {
    pub shards: u64,
    pub partition: Option<String>,
    pub time: String,
    pub mem: String,
    pub cpus_per_task: u64,
    /// Extra `endotrial run` arguments (replicate and seed overrides).
    pub run_args: Vec<String>,
}

/// Quotes a word for a POSIX shell.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The `#SBATCH` lines (sbatch reads them only before the first command, so the body follows).
fn header(name: &str, job: &str, opts: &SlurmOptions, log: &Path) -> String {
    let mut h = format!("#!/bin/bash\n#SBATCH --job-name={name}-{job}\n");
    if let Some(p) = &opts.partition {
        h += &format!("#SBATCH --partition={p}\n");
    }
    h + &format!(
        "#SBATCH --time={}\n#SBATCH --mem={}\n#SBATCH --cpus-per-task={}\n#SBATCH --ntasks=1\n#SBATCH --output={}\n",
        opts.time,
        opts.mem,
        opts.cpus_per_task,
        log.display()
    )
}

/// The array job: task K runs shard K of N.
pub fn array_script(
    binary: &Path,
    scenario: &Path,
    out: &Path,
    name: &str,
    opts: &SlurmOptions,
    log_dir: &Path,
) -> String {
    let mut s = header(name, "shards", opts, &log_dir.join("shard-%A_%a.out"));
    s += &format!("#SBATCH --array=1-{}\nset -euo pipefail\n\n", opts.shards);
    let extra: String = opts
        .run_args
        .iter()
        .map(|a| format!(" {}", sh_quote(a)))
        .collect();
    s += &format!(
        "exec {} run {} --out {} --shard \"${{SLURM_ARRAY_TASK_ID}}/{}\" --threads \"${{SLURM_CPUS_PER_TASK:-1}}\" --quiet{extra}\n",
        sh_quote(&binary.display().to_string()),
        sh_quote(&scenario.display().to_string()),
        sh_quote(&out.display().to_string()),
        opts.shards
    );
    s
}

/// The merge job, run after every array task succeeded.
pub fn merge_script(
    binary: &Path,
    shard_dir: &Path,
    name: &str,
    opts: &SlurmOptions,
    log_dir: &Path,
) -> String {
    let opts = SlurmOptions {
        cpus_per_task: 1,
        ..opts.clone()
    };
    let mut s = header(name, "merge", &opts, &log_dir.join("merge-%j.out"));
    s += &format!(
        "set -euo pipefail\n\nexec {} merge {}\n",
        sh_quote(&binary.display().to_string()),
        sh_quote(&shard_dir.display().to_string())
    );
    s
}

/// Submits the array, then the merge with `afterok` on it (and killed if a shard fails, rather
/// than left pending forever). Clears shards of an earlier run first, so that the merge sees only
/// this run's.
pub fn submit_script(shard_dir: &Path, array: &Path, merge: &Path) -> String {
    format!(
        "#!/bin/bash\n# Submits the shard array and its dependent merge job. Prints both job ids.\nset -euo pipefail\n\
         rm -f {shards}/*-of-*.json\n\
         array=$(sbatch --parsable {array})\n\
         merge=$(sbatch --parsable --dependency=afterok:\"${{array%%;*}}\" --kill-on-invalid-dep=yes {merge})\n\
         echo \"array job ${{array%%;*}}, merge job ${{merge%%;*}}\"\n",
        shards = sh_quote(&shard_dir.display().to_string()),
        array = sh_quote(&array.display().to_string()),
        merge = sh_quote(&merge.display().to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_quote_paths_and_wire_the_array() {
        let opts = SlurmOptions {
            shards: 8,
            partition: Some("short".into()),
            time: "01:00:00".into(),
            mem: "1G".into(),
            cpus_per_task: 2,
            run_args: vec!["--seed".into(), "9".into()],
        };
        let s = array_script(
            Path::new("/opt/bin/endotrial"),
            Path::new("/p/it's.toml"),
            Path::new("/r"),
            "x",
            &opts,
            Path::new("/r/x/slurm"),
        );
        assert!(s.contains("#SBATCH --array=1-8\nset -euo pipefail\n"));
        // Every directive comes before the first command, or sbatch ignores it.
        let first_command = s.find("set -euo").unwrap();
        assert!(s.rfind("#SBATCH").unwrap() < first_command);
        assert!(s.contains("#SBATCH --partition=short\n"));
        assert!(s.contains("'/p/it'\\''s.toml'"));
        assert!(s.contains("--shard \"${SLURM_ARRAY_TASK_ID}/8\""));
        assert!(s.ends_with(" --quiet '--seed' '9'\n"));
        let m = merge_script(
            Path::new("/e"),
            Path::new("/r/x/shards"),
            "x",
            &opts,
            Path::new("/l"),
        );
        assert!(m.contains("--cpus-per-task=1") && m.contains("merge '/r/x/shards'"));
        let sub = submit_script(
            Path::new("/r/x/shards"),
            Path::new("/a.sbatch"),
            Path::new("/m.sbatch"),
        );
        assert!(sub.contains("--dependency=afterok:") && sub.contains("--kill-on-invalid-dep=yes"));
    }
}
