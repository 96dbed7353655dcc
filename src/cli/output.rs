//! The output directory of `brainburn run`: checked before the simulation, written into a
//! sibling staging directory, and swapped in as a whole.
//!
//! [`Staging::create`] checks `--out` (not an existing file, a name the file system takes),
//! removes stale staging directories of earlier runs whose process is gone, and creates
//! `.<name>.partial-<pid>` next to DIR, so an unusable `--out` fails before anything is
//! simulated. [`Staging::publish`] replaces DIR by the staging directory (an earlier DIR is
//! first renamed to `.<name>.old-<pid>`, then removed), so no file of an earlier run survives
//! beside a new `summary.json`. Dropping an unpublished staging directory removes it (a failed
//! run publishes nothing); one left by a killed process is removed by the next run into the
//! same DIR.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Longest file name most file systems take (bytes).
const NAME_MAX: usize = 255;
/// Longest part of DIR's name used in the staging names (which add `.` and `.partial-<pid>`).
const PREFIX_MAX: usize = 200;

/// A staging directory next to the output directory.
#[derive(Debug)]
pub struct Staging {
    path: PathBuf,
    out: PathBuf,
    prefix: String,
    published: bool,
}

/// `--out` as an error.
fn bad_out(out: &Path, reason: impl std::fmt::Display) -> Error {
    Error::arg("--out", format!("`{}`: {reason}", out.display()))
}

/// The first `max` bytes of `name`, cut at a character boundary.
fn prefix_of(name: &str, max: usize) -> String {
    let mut end = name.len().min(max);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_string()
}

/// Whether process `pid` may still be running (always `true` where that cannot be told).
fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

impl Staging {
    /// Checks `out` and creates its staging directory (with a `monitors/` folder).
    pub fn create(out: &Path) -> Result<Self> {
        let name = out
            .file_name()
            .ok_or_else(|| bad_out(out, "names no directory (ends in `..` or is empty)"))?
            .to_string_lossy()
            .to_string();
        if name.len() > NAME_MAX {
            return Err(bad_out(
                out,
                format!(
                    "the directory name is {} bytes long; file systems take at most {NAME_MAX}",
                    name.len()
                ),
            ));
        }
        if let Ok(meta) = std::fs::metadata(out)
            && !meta.is_dir()
        {
            return Err(bad_out(out, "exists and is not a directory"));
        }
        let parent = out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(parent)
            .map_err(|e| bad_out(out, format!("cannot create its parent directory: {e}")))?;
        let prefix = prefix_of(&name, PREFIX_MAX);
        remove_stale(parent, &prefix);
        let path = parent.join(format!(".{prefix}.partial-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(path.join("monitors"))
            .map_err(|e| bad_out(out, format!("cannot create a directory next to it: {e}")))?;
        Ok(Staging {
            path,
            out: out.to_path_buf(),
            prefix,
            published: false,
        })
    }

    /// The staging directory (write the outputs here).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Replaces the output directory by the staging directory.
    pub fn publish(mut self) -> Result<()> {
        let parent = self.path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let old = parent.join(format!(".{}.old-{}", self.prefix, std::process::id()));
        let had_old = match std::fs::symlink_metadata(&self.out) {
            Ok(meta) if meta.is_dir() => {
                let _ = std::fs::remove_dir_all(&old);
                std::fs::rename(&self.out, &old).map_err(|e| Error::io(&self.out, e))?;
                true
            }
            Ok(_) => return Err(bad_out(&self.out, "exists and is not a directory")),
            Err(_) => false,
        };
        if let Err(e) = std::fs::rename(&self.path, &self.out) {
            if had_old {
                let _ = std::fs::rename(&old, &self.out);
            }
            return Err(Error::io(&self.out, e));
        }
        self.published = true;
        if had_old {
            std::fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.published {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Removes `.<prefix>.partial-<pid>` and `.<prefix>.old-<pid>` directories in `parent` whose
/// process is gone.
fn remove_stale(parent: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let head = format!(".{prefix}.");
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(rest) = name.strip_prefix(&head) else {
            continue;
        };
        let pid = rest
            .strip_prefix("partial-")
            .or_else(|| rest.strip_prefix("old-"))
            .and_then(|p| p.parse::<u32>().ok());
        if let Some(pid) = pid
            && !alive(pid)
            && entry.path().is_dir()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("bb-output-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn publishing_replaces_the_directory_as_a_whole() {
        let d = scratch("swap");
        let out = d.join("out");
        let s = Staging::create(&out).unwrap();
        std::fs::write(s.path().join("a.txt"), "1").unwrap();
        std::fs::write(s.path().join("monitors").join("old.csv"), "1").unwrap();
        s.publish().unwrap();
        assert_eq!(names(&out), ["a.txt", "monitors"]);
        let s = Staging::create(&out).unwrap();
        std::fs::write(s.path().join("b.txt"), "2").unwrap();
        s.publish().unwrap();
        assert_eq!(names(&out), ["b.txt", "monitors"]);
        assert!(names(&out.join("monitors")).is_empty());
        assert_eq!(names(&d), ["out"], "no staging or old directory left");
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn an_unpublished_staging_directory_is_removed() {
        let d = scratch("drop");
        let out = d.join("out");
        let s = Staging::create(&out).unwrap();
        assert!(s.path().is_dir());
        drop(s);
        assert!(names(&d).is_empty());
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn stale_staging_of_a_dead_process_is_cleaned_up() {
        if !Path::new("/proc/self").exists() {
            return; // liveness is only told through /proc
        }
        let d = scratch("stale");
        // pid 4294967295 cannot be running.
        for stale in [".out.partial-4294967295", ".out.old-4294967295"] {
            std::fs::create_dir_all(d.join(stale).join("monitors")).unwrap();
        }
        std::fs::create_dir_all(d.join(".other.partial-4294967295")).unwrap();
        let s = Staging::create(&d.join("out")).unwrap();
        s.publish().unwrap();
        assert_eq!(names(&d), [".other.partial-4294967295", "out"]);
        std::fs::remove_dir_all(&d).unwrap();
    }

    #[test]
    fn bad_out_paths_are_refused_before_anything_is_created() {
        let d = scratch("bad");
        let file = d.join("file");
        std::fs::write(&file, "x").unwrap();
        let e = Staging::create(&file).unwrap_err().to_string();
        assert!(e.contains("--out") && e.contains("not a directory"), "{e}");
        let e = Staging::create(&file.join("sub")).unwrap_err().to_string();
        assert!(e.contains("--out") && e.contains("parent"), "{e}");
        let long = d.join("x".repeat(300));
        let e = Staging::create(&long).unwrap_err().to_string();
        assert!(e.contains("--out") && e.contains("300 bytes"), "{e}");
        let e = Staging::create(Path::new("..")).unwrap_err().to_string();
        assert!(e.contains("--out"), "{e}");
        assert_eq!(names(&d), ["file"]);
        // A 255-byte name is fine (the staging name is shortened).
        let ok = d.join("y".repeat(255));
        Staging::create(&ok).unwrap().publish().unwrap();
        assert!(ok.is_dir());
        std::fs::remove_dir_all(&d).unwrap();
    }
}
