//! The incident on `stefano-test`: a PowerShell script downloads and
//! installs 7-Zip, copies an HR spreadsheet from the file server and packs
//! it into `employeedata.zip` at exactly `2026-01-29T16:49:20.4813094Z`.

use crate::fill;
use crate::rng::{file_hashes, Rng};
use crate::row::{Rec, RowBuf};
use crate::world::{
    incident_time, mins, ms, new_proc, secs, system_child, Device, Img, Proc, Sys, UserProc, World,
};

/// Name of the machine the incident happens on.
pub const DEVICE: &str = "stefano-test";
/// The script the employee runs.
pub const SCRIPT_PATH: &str = r"C:\Users\stefano\Downloads\exfiltratedata.ps1";
/// Where the script came from.
pub const SCRIPT_URL: &str =
    "https://raw.githubusercontent.com/stefano-rossi-dev/it-tools/main/exfiltratedata.ps1";
/// Where the 7-Zip installer came from.
pub const SEVENZIP_URL: &str = "https://www.7-zip.org/a/7z2408-x64.exe";
/// The archive written by 7z.exe.
pub const ARCHIVE_PATH: &str = r"C:\Users\stefano\Documents\employeedata.zip";
/// The spreadsheet that ends up in the archive.
pub const DATA_PATH: &str = r"C:\Users\stefano\Documents\employeedata.xlsx";
/// The share the spreadsheet was copied from.
pub const SHARE_PATH: &str = r"\\fileserver01.contoso.local\HR\Payroll\employeedata.xlsx";

const GITHUB_IP: &str = "185.199.110.133";
const SEVENZIP_IP: &str = "159.65.89.65";
const SCRIPT_CMD: &str =
    r"powershell.exe -ExecutionPolicy Bypass -File C:\Users\stefano\Downloads\exfiltratedata.ps1";

/// Offsets (in ticks) from the incident time, chosen once so every table agrees.
struct Times {
    shell: i64,
    script_fetch: i64,
    script_file: i64,
    script_run: i64,
    installer_fetch: i64,
    installer_file: i64,
    installer_run: i64,
    smb: i64,
    data_copy: i64,
    archiver: i64,
    archive: i64,
    cleanup: i64,
}

fn times() -> Times {
    let t = incident_time();
    Times {
        shell: t - secs(114) - 3_780_277,
        script_fetch: t - secs(99) - 1_592_306,
        script_file: t - secs(98) - 6_120_458,
        script_run: t - secs(82) - 2_271_093,
        installer_fetch: t - secs(78) - 1_503_330,
        installer_file: t - secs(75) - 9_046_218,
        installer_run: t - secs(74) - 2_719_561,
        smb: t - secs(41) - 3_315_775,
        data_copy: t - secs(40) - 8_802_011,
        archiver: t - ms(362) - 5_359,
        archive: t,
        cleanup: t + ms(611) + 2_377,
    }
}

/// The processes of the incident.
struct Procs {
    explorer: Proc,
    shell: Proc,
    shell_console: Proc,
    script: Proc,
    script_console: Proc,
    installer: Proc,
    archiver: Proc,
}

fn session_and_procs(world: &World, dev: &Device) -> Option<Procs> {
    let t = times();
    let session = dev.active_session(t.shell)?;
    let explorer = session.proc(UserProc::Explorer)?.clone();
    let mut rng = Rng::new(0x01c1_de47);
    let account = session.account;
    let _ = world;
    let user = |rng: &mut Rng, img, cmd: &str, at, parent: &Proc, elevated: bool| {
        new_proc(
            rng,
            img,
            cmd.to_string(),
            at,
            account,
            parent,
            if elevated { "High" } else { "Medium" },
            if elevated {
                "TokenElevationTypeFull"
            } else {
                "TokenElevationTypeLimited"
            },
            if elevated {
                session.elevated_logon_id
            } else {
                session.logon_id
            },
            explorer.session,
        )
    };
    let conhost = r"\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1";
    let shell = user(
        &mut rng,
        Img::Powershell,
        r#""C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" "#,
        t.shell,
        &explorer,
        false,
    );
    let shell_console = user(
        &mut rng,
        Img::Conhost,
        conhost,
        t.shell + 418_331,
        &shell,
        false,
    );
    let script = user(
        &mut rng,
        Img::Powershell,
        SCRIPT_CMD,
        t.script_run,
        &explorer,
        true,
    );
    let script_console = user(
        &mut rng,
        Img::Conhost,
        conhost,
        t.script_run + 391_906,
        &script,
        true,
    );
    let installer = user(
        &mut rng,
        Img::SevenZipSetup,
        r#""C:\Users\stefano\AppData\Local\Temp\7z2408-x64.exe" /S"#,
        t.installer_run,
        &script,
        true,
    );
    let archiver = user(
        &mut rng,
        Img::SevenZip,
        &format!(r#""C:\Program Files\7-Zip\7z.exe" a {ARCHIVE_PATH} {DATA_PATH}"#),
        t.archiver,
        &script,
        true,
    );
    Some(Procs {
        explorer,
        shell,
        shell_console,
        script,
        script_console,
        installer,
        archiver,
    })
}

fn incident_device(world: &World) -> Option<&Device> {
    world.device(DEVICE)
}

/// `DeviceProcessEvents` rows of the incident, plus the few ordinary
/// processes that start on the machine in the same minutes.
pub fn process_rows(world: &World, row: &mut RowBuf) -> Vec<Rec> {
    let mut out = Vec::new();
    let Some(dev) = incident_device(world) else {
        return out;
    };
    let Some(p) = session_and_procs(world, dev) else {
        return out;
    };
    let mut rng = Rng::new(0x01c1_de48);
    let pairs = [
        (&p.explorer, &p.shell),
        (&p.shell, &p.shell_console),
        (&p.explorer, &p.script),
        (&p.script, &p.script_console),
        (&p.script, &p.installer),
        (&p.script, &p.archiver),
    ];
    for (parent, child) in pairs {
        out.push(fill::process_created(
            row, world, dev, &mut rng, parent, child,
        ));
    }
    // Ordinary activity in the same window.
    let t = incident_time();
    let session_user = |rng: &mut Rng, img, cmd: &str, at: i64, parent: &Proc| {
        new_proc(
            rng,
            img,
            cmd.to_string(),
            at,
            p.explorer.account,
            parent,
            "Medium",
            "TokenElevationTypeLimited",
            p.explorer.logon_id,
            p.explorer.session,
        )
    };
    if let (Some(dcom), Some(sched), Some(indexer)) = (
        dev.sys(Sys::SvcDcom),
        dev.sys(Sys::SvcSchedule),
        dev.sys(Sys::SearchIndexer),
    ) {
        let broker = session_user(
            &mut rng,
            Img::RuntimeBroker,
            r"C:\Windows\System32\RuntimeBroker.exe -Embedding",
            t - secs(106) - 5_521_730,
            dcom,
        );
        let task = session_user(
            &mut rng,
            Img::Taskhostw,
            "taskhostw.exe {222A245B-E637-4AE9-A93F-A59CA119A75E}",
            t - secs(29) - 1_128_004,
            sched,
        );
        let proto = system_child(
            &mut rng,
            Img::SearchProtocolHost,
            crate::tables::SEARCH_PROTOCOL_CMD.to_string(),
            t + secs(52) + 2_265_418,
            indexer,
        );
        let bg = session_user(
            &mut rng,
            Img::BackgroundTaskHost,
            r#""C:\Windows\system32\backgroundTaskHost.exe" -ServerName:BackgroundTaskHost.WebAccountProvider"#,
            t + secs(87) + 6_604_551,
            dcom,
        );
        for (parent, child) in [
            (dcom, &broker),
            (sched, &task),
            (indexer, &proto),
            (dcom, &bg),
        ] {
            out.push(fill::process_created(
                row, world, dev, &mut rng, parent, child,
            ));
        }
    }
    out
}

/// Optional extras of an incident file row.
#[derive(Default)]
struct Extra<'a> {
    origin: Option<(&'a str, &'a str)>,
    hashes: Option<(&'a str, &'a str, &'a str)>,
}

#[allow(clippy::too_many_arguments)]
fn file_row(
    row: &mut RowBuf,
    world: &World,
    dev: &Device,
    rng: &mut Rng,
    by: &Proc,
    action: &str,
    path: &str,
    size: i64,
    at: i64,
    extra: Extra<'_>,
) -> Rec {
    let name = path.rsplit('\\').next().unwrap_or(path);
    let (mut sha1, mut sha256, mut md5) = file_hashes(&format!("incident|{path}"));
    if let Some((a, b, c)) = extra.hashes {
        (sha1, sha256, md5) = (a.to_string(), b.to_string(), c.to_string());
    }
    if let Some((url, ip)) = extra.origin {
        row.s("FileOriginUrl", url);
        row.s("FileOriginIP", ip);
    }
    fill::device(row, dev, rng);
    row.s("ActionType", action);
    row.s("FileName", name);
    row.s("FolderPath", path);
    row.s("SHA1", &sha1);
    row.s("SHA256", &sha256);
    row.s("MD5", &md5);
    row.n("FileSize", size);
    row.b("IsAzureInfoProtectionApplied", false);
    fill::initiating(row, world, dev, by);
    row.finish(at)
}

const SEVENZIP_FILES: &[(&str, i64)] = &[
    ("7-zip.dll", 99_840),
    ("7-zip32.dll", 75_264),
    ("7z.dll", 1_922_560),
    ("7z.exe", 559_616),
    ("7z.sfx", 270_336),
    ("7zCon.sfx", 257_536),
    ("7zFM.exe", 1_039_872),
    ("7zG.exe", 721_920),
    ("7-zip.chm", 118_226),
    ("descript.ion", 1_796),
    ("History.txt", 61_354),
    ("License.txt", 5_999),
    ("readme.txt", 1_972),
    ("Uninstall.exe", 15_872),
];

/// `DeviceFileEvents` rows of the incident.
pub fn file_rows(world: &World, row: &mut RowBuf) -> Vec<Rec> {
    let mut out = Vec::new();
    let Some(dev) = incident_device(world) else {
        return out;
    };
    let Some(p) = session_and_procs(world, dev) else {
        return out;
    };
    let t = times();
    let mut rng = Rng::new(0x01c1_de49);
    // The script, saved by the interactive PowerShell.
    let origin = Extra {
        origin: Some((SCRIPT_URL, GITHUB_IP)),
        hashes: None,
    };
    out.push(file_row(
        row,
        world,
        dev,
        &mut rng,
        &p.shell,
        "FileCreated",
        SCRIPT_PATH,
        2_417,
        t.script_file,
        origin,
    ));
    // The installer.
    let setup = dev.image(Img::SevenZipSetup);
    fill::device(row, dev, &mut rng);
    row.s("ActionType", "FileCreated");
    row.s("FileName", setup.file);
    row.s("FolderPath", &setup.path);
    row.s("SHA1", &setup.sha1);
    row.s("SHA256", &setup.sha256);
    row.s("MD5", &setup.md5);
    row.n("FileSize", setup.size);
    row.s("FileOriginUrl", SEVENZIP_URL);
    row.s("FileOriginIP", SEVENZIP_IP);
    row.b("IsAzureInfoProtectionApplied", false);
    fill::initiating(row, world, dev, &p.script);
    out.push(row.finish(t.installer_file));
    // The installer unpacks 7-Zip.
    let mut at = t.installer_run + ms(612) + 4_410;
    let seven = dev.image(Img::SevenZip);
    for (name, size) in SEVENZIP_FILES {
        let path = format!(r"C:\Program Files\7-Zip\{name}");
        fill::device(row, dev, &mut rng);
        row.s("ActionType", "FileCreated");
        row.s("FileName", name);
        row.s("FolderPath", &path);
        if *name == "7z.exe" {
            row.s("SHA1", &seven.sha1);
            row.s("SHA256", &seven.sha256);
            row.s("MD5", &seven.md5);
        } else {
            let (sha1, sha256, md5) = file_hashes(&format!("7-zip 24.08|{name}"));
            row.s("SHA1", &sha1);
            row.s("SHA256", &sha256);
            row.s("MD5", &md5);
        }
        row.n("FileSize", *size);
        row.b("IsAzureInfoProtectionApplied", false);
        fill::initiating(row, world, dev, &p.installer);
        out.push(row.finish(at));
        at += ms(rng.range(20, 140)) + rng.range(0, 9_999);
    }
    for lnk in ["7-Zip File Manager.lnk", "7-Zip Help.lnk"] {
        let path = format!(r"C:\ProgramData\Microsoft\Windows\Start Menu\Programs\7-Zip\{lnk}");
        out.push(file_row(
            row,
            world,
            dev,
            &mut rng,
            &p.installer,
            "FileCreated",
            &path,
            1_180,
            at,
            Extra::default(),
        ));
        at += ms(rng.range(5, 30)) + rng.range(0, 9_999);
    }
    // The HR spreadsheet copied from the file server.
    fill::device(row, dev, &mut rng);
    let (sha1, sha256, md5) = file_hashes("hr|employeedata.xlsx");
    row.s("ActionType", "FileCreated");
    row.s("FileName", "employeedata.xlsx");
    row.s("FolderPath", DATA_PATH);
    row.s("SHA1", &sha1);
    row.s("SHA256", &sha256);
    row.s("MD5", &md5);
    row.n("FileSize", 1_284_611);
    row.s("SensitivityLabel", "Confidential");
    row.s("SensitivitySubLabel", "HR");
    row.b("IsAzureInfoProtectionApplied", true);
    row.s(
        "AdditionalFields",
        &format!(r#"{{"SourceFile":"{}"}}"#, SHARE_PATH.replace('\\', r"\\")),
    );
    fill::initiating(row, world, dev, &p.script);
    out.push(row.finish(t.data_copy));
    // The archive.
    out.push(file_row(
        row,
        world,
        dev,
        &mut rng,
        &p.archiver,
        "FileCreated",
        ARCHIVE_PATH,
        1_197_306,
        t.archive,
        Extra::default(),
    ));
    // The script removes the installer.
    let hashes = Extra {
        origin: None,
        hashes: Some((&setup.sha1, &setup.sha256, &setup.md5)),
    };
    out.push(file_row(
        row,
        world,
        dev,
        &mut rng,
        &p.script,
        "FileDeleted",
        &setup.path,
        setup.size,
        t.cleanup,
        hashes,
    ));
    out
}

/// `DeviceNetworkEvents` rows of the incident (the two downloads, the SMB
/// copy) and the ordinary connections of the machine in the same minutes.
pub fn network_rows(world: &World, row: &mut RowBuf) -> Vec<Rec> {
    let mut out = Vec::new();
    let Some(dev) = incident_device(world) else {
        return out;
    };
    let Some(p) = session_and_procs(world, dev) else {
        return out;
    };
    let t = times();
    let it = incident_time();
    let mut rng = Rng::new(0x01c1_de4a);
    let out_dir = r#"{"direction":"Out"}"#;
    // The script download.
    fill::device(row, dev, &mut rng);
    row.s("ActionType", "ConnectionSuccess");
    fill::connection(
        row,
        dev.ip,
        50_312,
        GITHUB_IP,
        443,
        "raw.githubusercontent.com",
        "Tcp",
    );
    row.s("AdditionalFields", out_dir);
    fill::initiating(row, world, dev, &p.shell);
    out.push(row.finish(t.script_fetch));
    // The 7-Zip download.
    fill::device(row, dev, &mut rng);
    row.s("ActionType", "ConnectionSuccess");
    fill::connection(
        row,
        dev.ip,
        50_337,
        SEVENZIP_IP,
        443,
        "www.7-zip.org",
        "Tcp",
    );
    row.s("AdditionalFields", out_dir);
    fill::initiating(row, world, dev, &p.script);
    out.push(row.finish(t.installer_fetch));
    // SMB to the file server, made by the kernel.
    if let Some(kernel) = dev.sys(Sys::Kernel) {
        fill::device(row, dev, &mut rng);
        row.s("ActionType", "ConnectionSuccess");
        fill::connection(row, dev.ip, 50_341, "10.20.0.20", 445, "", "Tcp");
        fill::initiating(row, world, dev, kernel);
        out.push(row.finish(t.smb));
    }
    // Ordinary traffic in the same minutes: nothing here says "out".
    let session = dev.active_session(it);
    let mut plain = |row: &mut RowBuf,
                     proc_: Option<&Proc>,
                     action: &str,
                     local_port: i64,
                     remote: (&str, i64, &str),
                     af: &str,
                     at: i64| {
        if let Some(proc_) = proc_ {
            fill::device(row, dev, &mut rng);
            row.s("ActionType", action);
            fill::connection(row, dev.ip, local_port, remote.0, remote.1, remote.2, "Tcp");
            if !af.is_empty() {
                row.s("AdditionalFields", af);
            }
            fill::initiating(row, world, dev, proc_);
            out.push(row.finish(at));
        }
    };
    let browser = session.and_then(|s| s.proc(UserProc::Browser));
    let teams = session.and_then(|s| s.proc(UserProc::Teams));
    plain(
        row,
        browser,
        "ConnectionSuccess",
        50_318,
        ("13.107.21.239", 443, "edge.microsoft.com"),
        "",
        it - secs(92) - 4_417_051,
    );
    plain(
        row,
        teams,
        "ConnectionSuccess",
        50_329,
        ("52.113.194.132", 443, "teams.microsoft.com"),
        "{}",
        it - secs(53) - 2_113_876,
    );
    plain(
        row,
        dev.sys(Sys::GuestAgent),
        "ConnectionSuccess",
        50_360,
        ("168.63.129.16", 80, ""),
        "",
        it + secs(18) + 8_034_116,
    );
    plain(
        row,
        dev.sys(Sys::SvcDcom),
        "InboundConnectionAccepted",
        135,
        ("10.20.0.10", 61_877, ""),
        "{}",
        it + secs(44) + 1_290_447,
    );
    plain(
        row,
        dev.sys(Sys::MsSense),
        "ConnectionSuccess",
        50_371,
        ("20.50.201.195", 443, "winatp-gw-weu3.microsoft.com"),
        "",
        it + secs(71) + 5_503_902,
    );
    out
}

/// The inbound side of the SMB copy, on the file server.
pub fn fileserver_rows(world: &World, row: &mut RowBuf) -> Vec<Rec> {
    let mut out = Vec::new();
    let Some(fs) = world.device("fileserver01.contoso.local") else {
        return out;
    };
    let Some(kernel) = fs.sys(Sys::Kernel) else {
        return out;
    };
    let mut rng = Rng::new(0x01c1_de4b);
    fill::device(row, fs, &mut rng);
    row.s("ActionType", "InboundConnectionAccepted");
    fill::connection(row, fs.ip, 445, "10.50.2.4", 50_341, "", "Tcp");
    fill::initiating(row, world, fs, kernel);
    out.push(row.finish(times().smb + 31_224));
    let _ = mins(0);
    out
}
