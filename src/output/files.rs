//! Atomic file writes (a temporary file in the target folder, synced, then renamed over) so that
//! a failed run never leaves a half-written or clobbered result, with the mode `File::create`
//! would give, and folders created with a clear message when a file is in the way.

use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `path` atomically: a temporary file beside it, synced, then renamed over.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_mode(path, bytes, false)
}

/// As `write_atomic`, for a script meant to be run (executable bits under the umask).
pub fn write_script_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_mode(path, bytes, true)
}

pub(super) fn write_atomic_mode(
    path: &Path,
    bytes: &[u8],
    executable: bool,
) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_folder(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_data()?;
    set_result_mode(tmp.as_file(), executable)?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Creates folder `dir` and its parents; a path on the way that is a file is named as such
/// (`create_dir_all` says only "File exists", as `--out results.csv` used to show).
pub fn create_folder(dir: &Path) -> std::io::Result<()> {
    for ancestor in dir.ancestors() {
        match std::fs::metadata(ancestor) {
            Ok(m) if m.is_dir() => break,
            Ok(_) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::AlreadyExists,
                    format!("'{}' is a file, not a folder", ancestor.display()),
                ));
            }
            Err(_) => continue,
        }
    }
    std::fs::create_dir_all(dir)
}

/// A temporary file is created 0600; a result gets the mode `File::create` would give it
/// (0666, or 0777 for a script, less the umask) so that a cluster group can read results.
pub(super) fn set_result_mode(file: &std::fs::File, executable: bool) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let full = if executable { 0o777 } else { 0o666 };
    file.set_permissions(std::fs::Permissions::from_mode(full & !umask()))
}

/// The process's umask, read from /proc (Linux) without changing it; where /proc does not say,
/// set and restored at once (racy only against threads creating files at that instant).
pub(super) fn umask() -> u32 {
    let from_proc = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Umask:"))
                .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        });
    from_proc.unwrap_or_else(|| {
        // SAFETY: umask only swaps the process's file-mode mask.
        unsafe {
            let old = libc::umask(0o022);
            libc::umask(old);
            old as u32
        }
    })
}
