//! Background and scheduled activity for each table.

use kql_common::time::{civil_from_days, TICKS_PER_DAY, TICKS_PER_HOUR};

use crate::fill;
use crate::gen::Bg;
use crate::incident;
use crate::rng::{file_hashes, guid, hash_str, hex, Rng};
use crate::row::{Rec, RowBuf};
use crate::world::{
    mins, ms, new_proc, quiet_window, range_end, range_start, secs, system_child, zip_cutoff,
    Browser, Device, Img, Kind, Proc, Role, Session, Sys, UserProc, DAYS,
};
use crate::Table;

/// Command line of the Windows Search protocol host.
pub const SEARCH_PROTOCOL_CMD: &str = r#""C:\Windows\system32\SearchProtocolHost.exe" Global\UsGthrFltPipeMssGthrPipe12_ Global\UsGthrCtrlFltPipeMssGthrPipe12 1 -2147483646 "Software\Microsoft\Windows Search" "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)" "C:\ProgramData\Microsoft\Search\Data\Temp\usgthrsvc" "DownLevelDaemon" "#;

const CONHOST_CMD: &str = r"\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1";

/// Rows that happen at fixed times regardless of the row budget.
pub fn scheduled(table: Table, bg: &mut Bg<'_>) -> Vec<Rec> {
    let world = bg.world;
    let mut out = Vec::new();
    for dev in &world.devices {
        match table {
            Table::DeviceProcessEvents => {
                for s in &dev.sessions {
                    session_processes(bg, dev, s, &mut out);
                }
                for t in vm_log_runs(dev) {
                    if let (Some(agent), Some(p)) = (dev.sys(Sys::GuestAgent), collect_proc(dev, t))
                    {
                        out.push(fill::process_created(
                            &mut bg.row,
                            world,
                            dev,
                            &mut bg.rng,
                            agent,
                            &p,
                        ));
                    }
                }
            }
            Table::DeviceFileEvents => {
                for t in vm_log_runs(dev) {
                    if let Some(p) = collect_proc(dev, t) {
                        vm_agent_zip(bg, dev, &p, &mut out);
                    }
                }
            }
            Table::DeviceNetworkEvents => {
                for s in &dev.sessions {
                    if let (Some(ip), Some(rdp)) = (s.remote_ip, dev.sys(Sys::SvcRdp)) {
                        let port = bg.rng.range(50_000, 65_000);
                        begin(bg, dev, "InboundConnectionAccepted");
                        fill::connection(&mut bg.row, dev.ip, 3389, ip, port, "", "Tcp");
                        fill::initiating(&mut bg.row, world, dev, rdp);
                        out.push(
                            bg.row
                                .finish(s.logon - secs(6) - bg.rng.range(0, 9_999_999)),
                        );
                    }
                }
            }
            Table::DeviceInfo => device_info(bg, dev, &mut out),
        }
    }
    out
}

/// One background row of `table` on `dev` at `t`.
pub fn background(table: Table, bg: &mut Bg<'_>, dev: &Device, t: i64) -> Rec {
    match table {
        Table::DeviceProcessEvents => process_event(bg, dev, t),
        Table::DeviceFileEvents => file_event(bg, dev, t),
        Table::DeviceNetworkEvents => network_event(bg, dev, t),
        Table::DeviceInfo => {
            begin(bg, dev, "");
            bg.row.finish(t)
        }
    }
}

fn begin(bg: &mut Bg<'_>, dev: &Device, action: &str) {
    fill::device(&mut bg.row, dev, &mut bg.rng);
    if !action.is_empty() {
        bg.row.s("ActionType", action);
    }
}

fn sys(dev: &Device, s: Sys) -> &Proc {
    dev.sys(s)
        .or_else(|| dev.sys(Sys::Services))
        .unwrap_or_else(|| unreachable_proc(dev))
}

fn unreachable_proc(dev: &Device) -> &Proc {
    // Every device has services.exe; fall back to any process otherwise.
    dev.sys.iter().flatten().next().unwrap_or_else(|| {
        dev.sessions
            .first()
            .and_then(|s| s.procs.iter().flatten().next())
            .unwrap_or_else(|| panic!("device {} has no processes", dev.name))
    })
}

/// Times at which the Azure guest agent collects its logs into VMAgentLogs.zip.
pub fn vm_log_runs(dev: &Device) -> Vec<i64> {
    let mut out = Vec::new();
    if !dev.azure {
        return out;
    }
    let mut rng = Rng::new(hash_str(&format!("vmlogs/{}", dev.name)));
    let (qlo, qhi) = quiet_window();
    let mut t = range_start() + rng.range(mins(20), 4 * TICKS_PER_HOUR);
    while t < range_end() - mins(5) {
        if !(dev.name == incident::DEVICE && t > qlo - mins(2) && t < qhi) {
            out.push(t);
        }
        t += rng.range(3 * TICKS_PER_HOUR, 7 * TICKS_PER_HOUR);
    }
    out
}

fn collect_proc(dev: &Device, t: i64) -> Option<Proc> {
    let agent = dev.sys(Sys::GuestAgent)?;
    let mut rng = Rng::new(hash_str(dev.name) ^ t as u64);
    Some(system_child(
        &mut rng,
        Img::CollectGuestLogs,
        format!(
            "\"{}\" -Mode:ga -FileName:C:\\WindowsAzure\\Logs\\VMAgentLogs.zip",
            dev.image(Img::CollectGuestLogs).path
        ),
        t,
        agent,
    ))
}

fn vm_agent_zip(bg: &mut Bg<'_>, dev: &Device, p: &Proc, out: &mut Vec<Rec>) {
    let world = bg.world;
    let path = r"C:\WindowsAzure\Logs\VMAgentLogs.zip";
    let size = bg.rng.range(1_800_000, 9_500_000);
    let (sha1, sha256, md5) = file_hashes(&format!("vmagentlogs|{}|{}", dev.name, p.created));
    let created = p.created + secs(bg.rng.range(2, 6)) + bg.rng.range(0, 9_999_999);
    let modified = created + secs(bg.rng.range(8, 40)) + bg.rng.range(0, 9_999_999);
    for (action, at) in [("FileCreated", created), ("FileModified", modified)] {
        begin(bg, dev, action);
        file_cols(
            &mut bg.row,
            "VMAgentLogs.zip",
            path,
            (&sha1, &sha256, &md5),
            size,
        );
        fill::initiating(&mut bg.row, world, dev, p);
        out.push(bg.row.finish(at));
    }
}

fn file_cols(row: &mut RowBuf, name: &str, path: &str, h: (&str, &str, &str), size: i64) {
    row.s("FileName", name);
    row.s("FolderPath", path);
    row.s("SHA1", h.0);
    row.s("SHA256", h.1);
    row.s("MD5", h.2);
    row.n("FileSize", size);
    row.b("IsAzureInfoProtectionApplied", false);
}

fn session_processes(bg: &mut Bg<'_>, dev: &Device, s: &Session, out: &mut Vec<Rec>) {
    let world = bg.world;
    let Some(winlogon) = dev.sys(Sys::Winlogon) else {
        return;
    };
    let Some(userinit) = s.proc(UserProc::Userinit) else {
        return;
    };
    let Some(explorer) = s.proc(UserProc::Explorer) else {
        return;
    };
    out.push(fill::process_created(
        &mut bg.row,
        world,
        dev,
        &mut bg.rng,
        winlogon,
        userinit,
    ));
    out.push(fill::process_created(
        &mut bg.row,
        world,
        dev,
        &mut bg.rng,
        userinit,
        explorer,
    ));
    for p in [
        UserProc::OneDrive,
        UserProc::Teams,
        UserProc::Browser,
        UserProc::Outlook,
        UserProc::AdminShell,
    ] {
        if let Some(child) = s.proc(p) {
            out.push(fill::process_created(
                &mut bg.row,
                world,
                dev,
                &mut bg.rng,
                explorer,
                child,
            ));
        }
    }
}

fn user_child(bg: &mut Bg<'_>, s: &Session, img: Img, cmd: String, t: i64, parent: &Proc) -> Proc {
    let session_id = s.proc(UserProc::Explorer).map_or(1, |e| e.session);
    new_proc(
        &mut bg.rng,
        img,
        cmd,
        t,
        s.account,
        parent,
        "Medium",
        "TokenElevationTypeLimited",
        s.logon_id,
        session_id,
    )
}

fn admin_child(bg: &mut Bg<'_>, s: &Session, img: Img, cmd: String, t: i64, parent: &Proc) -> Proc {
    let mut p = user_child(bg, s, img, cmd, t, parent);
    p.integrity = "High";
    p.elevation = "TokenElevationTypeFull";
    p.logon_id = s.elevated_logon_id;
    p
}

/// A running process of a user session, created a while before `t`.
fn running(bg: &mut Bg<'_>, s: &Session, img: Img, cmd: String, t: i64, parent: &Proc) -> Proc {
    let earliest = (s.logon + mins(5)).min(t - secs(5));
    let created = (t - bg.rng.range(secs(20), mins(90))).max(earliest);
    user_child(bg, s, img, cmd, created, parent)
}

const SERVICES: &[&str] = &[
    r"C:\Windows\system32\svchost.exe -k netsvcs -p -s BITS",
    r"C:\Windows\System32\svchost.exe -k wusvcs -p -s WaaSMedicSvc",
    r"C:\Windows\system32\svchost.exe -k netsvcs -p -s UsoSvc",
    r"C:\Windows\system32\svchost.exe -k LocalSystemNetworkRestricted -p -s DeviceAssociationService",
    r"C:\Windows\system32\svchost.exe -k netsvcs -p -s gpsvc",
    r"C:\Windows\System32\svchost.exe -k LocalServiceNetworkRestricted -p -s wscsvc",
    r"C:\Windows\system32\svchost.exe -k LocalService -p -s DispBrokerDesktopSvc",
    r"C:\Windows\system32\svchost.exe -k netsvcs -p -s lfsvc",
    r"C:\Windows\System32\svchost.exe -k rpcss -p",
    r"C:\Windows\system32\svchost.exe -k appmodel -p -s StateRepository",
];

const TASKHOST: &[&str] = &[
    "taskhostw.exe",
    "taskhostw.exe -RegisterDevice -ProtectionStateChanged -FreeNetworkOnly",
    "taskhostw.exe Install $(Arg0)",
    "taskhostw.exe SYSTEM",
    "taskhostw.exe NGCKeyPregen",
];

const ADMIN_PS: &[&str] = &[
    r#"powershell.exe -NoProfile -Command "Get-ADUser -Filter * -SearchBase 'OU=Staff,DC=contoso,DC=local' | Measure-Object""#,
    r#"powershell.exe -NoProfile -Command "Get-ADComputer -Filter 'OperatingSystem -like ''*Windows 10*''' | Select-Object Name""#,
    r#"powershell.exe -NoProfile -Command "Get-SmbSession | Sort-Object NumOpens -Descending | Select-Object -First 10""#,
    r#"powershell.exe -NoProfile -Command "Get-SmbShare | Format-Table Name,Path,Description""#,
    r#"powershell.exe -NoProfile -Command "Get-HotFix | Sort-Object InstalledOn -Descending | Select-Object -First 5""#,
    r#""C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" "#,
    r#"powershell.exe -NoProfile -Command "Get-Service | Where-Object {$_.Status -eq 'Stopped' -and $_.StartType -eq 'Automatic'}""#,
    r#"powershell.exe -NoProfile -Command "Get-WinEvent -LogName System -MaxEvents 50 | Where-Object Level -le 2""#,
];

const DOCS: &[&str] = &[
    "Budget 2026.xlsx",
    "Q4-2025 forecast.xlsx",
    "Meeting notes 2026-01.docx",
    "Onboarding checklist.docx",
    "Supplier contracts.xlsx",
    "Expense report January.xlsx",
    "Project Falco - status.docx",
    "Timesheet.xlsx",
    "Offer letter template.docx",
    "Inventory.xlsx",
    "Travel policy.docx",
    "Sales pipeline.xlsx",
];

fn process_event(bg: &mut Bg<'_>, dev: &Device, t: i64) -> Rec {
    let world = bg.world;
    let session = dev.active_session(t);
    // (weight, template id)
    let mut cands: [(f64, u8); 32] = [(0.0, 0); 32];
    let mut n = 0;
    let mut add = |w: f64, id: u8| {
        if n < cands.len() {
            cands[n] = (w, id);
            n += 1;
        }
    };
    add(3.0, 0);
    add(2.0, 1);
    add(2.0, 2);
    add(1.2, 3);
    add(1.2, 4);
    add(0.7, 5);
    add(0.6, 6);
    add(1.0, 7);
    add(0.4, 8);
    add(0.4, 9);
    add(0.5, 10);
    add(1.0, 14);
    if dev.kind == Kind::Workstation {
        add(2.0, 11);
        add(0.5, 12);
    }
    if dev.azure {
        add(0.8, 13);
    }
    match dev.role {
        Role::FileServer => add(0.5, 30),
        Role::Sql => add(0.6, 31),
        Role::Build => add(6.0, 32),
        Role::Web => add(0.4, 33),
        Role::DomainController => add(0.5, 34),
        Role::Client => {}
    }
    if let Some(s) = session {
        if dev.kind == Kind::Workstation {
            add(7.0, 20);
            add(1.2, 21);
            add(
                if dev.name.starts_with("finance") {
                    2.4
                } else {
                    1.0
                },
                22,
            );
            add(1.5, 23);
            add(1.0, 24);
            add(0.5, 25);
            add(0.4, 26);
            add(0.6, 27);
            add(0.5, 28);
            if dev.name == "marco-laptop" {
                add(1.5, 29);
            }
        } else if s.proc(UserProc::AdminShell).is_some() {
            add(4.0, 40);
            add(1.5, 41);
        }
    }
    let weights: Vec<f64> = cands[..n].iter().map(|c| c.0).collect();
    let id = cands[bg.rng.weighted(&weights)].1;
    let rng = &mut bg.rng;
    let (parent, child): (Proc, Proc) = match (id, session) {
        (0, _) => {
            let p = sys(dev, Sys::SvcSchedule).clone();
            let cmd = rng.pick(TASKHOST).to_string();
            let c = system_child(rng, Img::Taskhostw, cmd, t, &p);
            (p, c)
        }
        (1, _) => {
            let p = sys(dev, Sys::Services).clone();
            let cmd = rng.pick(SERVICES).to_string();
            let c = system_child(rng, Img::Svchost, cmd, t, &p);
            (p, c)
        }
        (2, _) => {
            let p = sys(dev, Sys::SvcDcom).clone();
            let c = system_child(
                rng,
                Img::WmiPrvSE,
                r"C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding".into(),
                t,
                &p,
            );
            (p, c)
        }
        (3, _) => {
            let p = sys(dev, Sys::SvcDcom).clone();
            let clsid = rng.pick(&[
                "{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}",
                "{3EB3C877-1F16-487C-9050-104DBCD66683}",
                "{973D20D7-562D-44B9-B70B-5A0F49CCDF3F}",
            ]);
            let c = system_child(
                rng,
                Img::Dllhost,
                format!(r"C:\Windows\system32\DllHost.exe /Processid:{clsid}"),
                t,
                &p,
            );
            (p, c)
        }
        (4, _) => {
            let p = sys(dev, Sys::SvcWu).clone();
            let c = if rng.chance(0.5) {
                system_child(
                    rng,
                    Img::MoUsoCoreWorker,
                    r"C:\Windows\uus\AMD64\MoUsoCoreWorker.exe".into(),
                    t,
                    &p,
                )
            } else {
                system_child(rng, Img::Wuauclt, r#""C:\Windows\system32\wuauclt.exe" /UpdateDeploymentProvider UpdateDeploymentProvider.dll /ClassId 0c8a0fa7-1f8a-4a5b-9e1b-2f5c6b4e0b1d /RunHandlerComServer"#.into(), t, &p)
            };
            (p, c)
        }
        (5, _) => {
            if rng.chance(0.5) {
                let p = sys(dev, Sys::Services).clone();
                let c = system_child(
                    rng,
                    Img::TrustedInstaller,
                    r"C:\Windows\servicing\TrustedInstaller.exe".into(),
                    t,
                    &p,
                );
                (p, c)
            } else {
                let p = sys(dev, Sys::SvcDcom).clone();
                let path = dev.image(Img::TiWorker).path.clone();
                let c = system_child(rng, Img::TiWorker, format!("{path} -Embedding"), t, &p);
                (p, c)
            }
        }
        (6, _) => {
            let p = sys(dev, Sys::Services).clone();
            let c = system_child(
                rng,
                Img::Sppsvc,
                r"C:\Windows\system32\sppsvc.exe".into(),
                t,
                &p,
            );
            (p, c)
        }
        (7, _) => {
            if rng.chance(0.6) {
                let p = sys(dev, Sys::SvcSchedule).clone();
                let path = dev.image(Img::MpCmdRun).path.clone();
                let c = system_child(
                    rng,
                    Img::MpCmdRun,
                    format!(
                        "\"{path}\" SignatureUpdate -ScheduleJob -RestrictPrivileges -DailyUpdates"
                    ),
                    t,
                    &p,
                );
                (p, c)
            } else {
                let p = sys(dev, Sys::MsMpEng).clone();
                let path = dev.image(Img::MpCmdRun).path.clone();
                let c = system_child(rng, Img::MpCmdRun, format!("\"{path}\" -wdenable"), t, &p);
                (p, c)
            }
        }
        (8, _) => {
            let p = sys(dev, Sys::SvcWu).clone();
            let build = rng.range(120, 139);
            let c = system_child(
                rng,
                Img::MpSigStub,
                format!(
                    r"C:\Windows\System32\MpSigStub.exe /stub 1.1.24090.1 /payload 1.423.{build}.0 /program C:\Windows\SoftwareDistribution\Download\Install\AM_Delta_Patch_1.423.{build}.0.exe"
                ),
                t,
                &p,
            );
            (p, c)
        }
        (9, _) => {
            let p = sys(dev, Sys::SvcSchedule).clone();
            let c = system_child(rng, Img::CompatTelRunner, r"C:\Windows\system32\compattelrunner.exe -m:appraiser.dll -f:DoScheduledTelemetryRun".into(), t, &p);
            (p, c)
        }
        (10, _) => {
            let p = sys(dev, Sys::MsSense).clone();
            let c = system_child(rng, Img::SenseCncProxy, "\"C:\\Program Files\\Windows Defender Advanced Threat Protection\\SenseCncProxy.exe\"".into(), t, &p);
            (p, c)
        }
        (11, _) => {
            let p = sys(dev, Sys::SearchIndexer).clone();
            let c = if rng.chance(0.6) {
                system_child(
                    rng,
                    Img::SearchProtocolHost,
                    SEARCH_PROTOCOL_CMD.into(),
                    t,
                    &p,
                )
            } else {
                let a = rng.range(500, 999);
                system_child(
                    rng,
                    Img::SearchFilterHost,
                    format!(
                        r#""C:\Windows\system32\SearchFilterHost.exe" 0 {} {} {} 8192 {} {}"#,
                        a,
                        a + 4,
                        a + 12,
                        a + 8,
                        a - 16
                    ),
                    t,
                    &p,
                )
            };
            (p, c)
        }
        (12, _) => {
            let p = sys(dev, Sys::SvcSchedule).clone();
            let c = system_child(rng, Img::EdgeUpdate, "\"C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\MicrosoftEdgeUpdate.exe\" /ua /installsource scheduler".into(), t, &p);
            (p, c)
        }
        (13, _) => {
            let p = sys(dev, Sys::WaAppAgent).clone();
            let c = system_child(rng, Img::Cmd, r#"C:\Windows\system32\cmd.exe /C ""C:\Packages\Plugins\Microsoft.Azure.Monitor.AzureMonitorWindowsAgent\1.32.0.0\AzureMonitorAgentExtension.exe" heartbeat""#.into(), t, &p);
            (p, c)
        }
        (14, _) => {
            let sched = sys(dev, Sys::SvcSchedule).clone();
            let cmd = rng.pick(&[
                r"C:\Windows\system32\cmd.exe /d /c C:\Windows\system32\silcollector.cmd publish",
                r#"C:\Windows\system32\cmd.exe /c "C:\Windows\system32\gatherNetworkInfo.vbs""#,
                r"C:\Windows\system32\cmd.exe /c C:\Windows\System32\wbem\WMIC.exe /namespace:\\root\cimv2 path Win32_LogicalDisk get FreeSpace",
            ]);
            let back = ms(rng.range(5, 60));
            let shell = system_child(rng, Img::Cmd, cmd.to_string(), t - back, &sched);
            let c = system_child(rng, Img::Conhost, CONHOST_CMD.into(), t, &shell);
            (shell, c)
        }
        (20, Some(s)) => {
            let Some(b) = s.proc(UserProc::Browser).cloned() else {
                return fallback(bg, dev, t);
            };
            let cmd = browser_child_cmd(rng, dev.browser, &world.accounts[s.account].profile);
            let c = user_child(bg, s, b.img, cmd, t, &b);
            (b, c)
        }
        (21 | 22, Some(s)) => {
            let Some(e) = s.proc(UserProc::Explorer).cloned() else {
                return fallback(bg, dev, t);
            };
            let profile = world.accounts[s.account].profile.clone();
            let doc = rng.pick(DOCS).to_string();
            let (img, exe) = if doc.ends_with(".docx") {
                (Img::Winword, "WINWORD.EXE")
            } else {
                (Img::Excel, "EXCEL.EXE")
            };
            let dir = doc_dir(rng, &profile);
            let cmd = format!(
                r#""C:\Program Files\Microsoft Office\Root\Office16\{exe}" /n "{dir}\{doc}""#
            );
            let c = user_child(bg, s, img, cmd, t, &e);
            (e, c)
        }
        (23, Some(s)) => {
            let p = sys(dev, Sys::SvcDcom).clone();
            let c = user_child(
                bg,
                s,
                Img::RuntimeBroker,
                r"C:\Windows\System32\RuntimeBroker.exe -Embedding".into(),
                t,
                &p,
            );
            (p, c)
        }
        (24, Some(s)) => {
            let p = sys(dev, Sys::SvcDcom).clone();
            let server = rng.pick(&[
                "BackgroundTaskHost.WebAccountProvider",
                "CortanaUI.AppX8z9r6jm96hw4bsbneegw0kyxx296wr9t.mca",
                "Microsoft.Windows.Photos_8wekyb3d8bbwe.AppXmtcan0h2tfbnwdcpd1vyr0pdzv9gb8r0.mca",
            ]);
            let c = user_child(
                bg,
                s,
                Img::BackgroundTaskHost,
                format!(r#""C:\Windows\system32\backgroundTaskHost.exe" -ServerName:{server}"#),
                t,
                &p,
            );
            (p, c)
        }
        (25, Some(s)) => {
            let Some(od) = s.proc(UserProc::OneDrive).cloned() else {
                return fallback(bg, dev, t);
            };
            let path = dev.image(Img::FileCoAuth).path.clone();
            let c = user_child(
                bg,
                s,
                Img::FileCoAuth,
                format!("\"{path}\" -Embedding"),
                t,
                &od,
            );
            (od, c)
        }
        (26, Some(s)) => {
            let Some(e) = s.proc(UserProc::Explorer).cloned() else {
                return fallback(bg, dev, t);
            };
            let profile = world.accounts[s.account].profile.clone();
            let file = rng.pick(&[
                "notes.txt",
                "todo.txt",
                "passwords-old.txt.bak",
                "readme.txt",
                "ip-list.txt",
            ]);
            let c = user_child(
                bg,
                s,
                Img::Notepad,
                format!(r#""C:\Windows\system32\NOTEPAD.EXE" C:\Users\{profile}\Desktop\{file}"#),
                t,
                &e,
            );
            (e, c)
        }
        (27, Some(s)) => {
            let Some(o) = s.proc(UserProc::Outlook).cloned() else {
                return fallback(bg, dev, t);
            };
            let url = rng.pick(&[
                "https://contoso.sharepoint.com/sites/Finance/Shared%20Documents/Forms/AllItems.aspx",
                "https://teams.microsoft.com/l/meetup-join/19%3ameeting_NjM5ZDQ2",
                "https://www.dhl.com/it-it/home/tracciabilita.html?tracking-id=4829104821",
                "https://contoso.sharepoint.com/:x:/s/HR/EbX2mQ",
            ]);
            let c = user_child(bg, s, Img::Msedge, format!("\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --single-argument {url}"), t, &o);
            (o, c)
        }
        (28, Some(s)) => {
            let p = sys(dev, Sys::SvcDcom).clone();
            let c = user_child(
                bg,
                s,
                Img::Smartscreen,
                r"C:\Windows\System32\smartscreen.exe -Embedding".into(),
                t,
                &p,
            );
            (p, c)
        }
        (29, Some(s)) => {
            let Some(e) = s.proc(UserProc::Explorer).cloned() else {
                return fallback(bg, dev, t);
            };
            let cmd = rng.pick(&[
                r#""C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" "#,
                r#""C:\Windows\system32\cmd.exe" "#,
                r#"powershell.exe -NoProfile -Command "Test-NetConnection fileserver01.contoso.local -Port 445""#,
                r#"powershell.exe -NoProfile -Command "Resolve-DnsName dc01.contoso.local""#,
            ]);
            let img = if cmd.contains("cmd.exe") {
                Img::Cmd
            } else {
                Img::Powershell
            };
            let c = user_child(bg, s, img, cmd.to_string(), t, &e);
            (e, c)
        }
        (30, _) => {
            let p = sys(dev, Sys::SvcSchedule).clone();
            let c = system_child(rng, Img::Robocopy, r"Robocopy.exe D:\Shares E:\Backup\Shares /MIR /R:1 /W:1 /NP /LOG+:E:\Backup\robocopy.log".into(), t, &p);
            (p, c)
        }
        (31, _) => {
            let p = sys(dev, Sys::SvcSchedule).clone();
            let c = system_child(rng, Img::Powershell, r#""C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" -NoProfile -ExecutionPolicy Bypass -File D:\Scripts\Backup-Databases.ps1 -Destination E:\MSSQL\Backup"#.into(), t, &p);
            (p, c)
        }
        (32, _) => {
            let listener = sys(dev, Sys::AgentListener).clone();
            let back = secs(rng.range(20, 600));
            let mut worker = system_child(
                rng,
                Img::AgentWorker,
                r#""C:\agent\bin\Agent.Worker.exe" spawnclient 4880 4896"#.into(),
                t - back,
                &listener,
            );
            worker.account = listener.account;
            let build = rng.range(410, 460);
            let (img, cmd) = match rng.below(5) {
                0 => (Img::Git, r#""C:\Program Files\Git\cmd\git.exe" fetch --force --tags --prune --progress --no-recurse-submodules origin"#.to_string()),
                1 => (Img::Dotnet, r#""C:\Program Files\dotnet\dotnet.exe" build D:\a\1\s\ContosoPortal.sln --configuration Release"#.to_string()),
                2 => (Img::Dotnet, r#""C:\Program Files\dotnet\dotnet.exe" test D:\a\1\s\tests\ContosoPortal.Tests.csproj --logger trx"#.to_string()),
                3 if t < zip_cutoff() => (Img::SevenZip, format!(r#""C:\Program Files\7-Zip\7z.exe" a -tzip D:\a\1\a\contoso-portal-1.8.{build}.zip D:\a\1\s\publish\*"#)),
                _ => (Img::Cmd, format!(r#""C:\Windows\system32\cmd.exe" /D /E:ON /V:OFF /S /C "CALL "D:\a\_temp\{}.cmd"""#, guid(rng.next_u64()))),
            };
            let mut c = system_child(rng, img, cmd, t, &worker);
            c.account = listener.account;
            c.integrity = "High";
            (worker, c)
        }
        (33, _) => {
            let p = sys(dev, Sys::SvcWas).clone();
            let c = system_child(rng, Img::W3wp, sys(dev, Sys::W3wp).cmd.clone(), t, &p);
            (p, c)
        }
        (34, _) => {
            let p = sys(dev, Sys::SvcSchedule).clone();
            let c = system_child(
                rng,
                Img::Gpupdate,
                "gpupdate.exe /target:computer".into(),
                t,
                &p,
            );
            (p, c)
        }
        (40, Some(s)) => {
            let Some(e) = s.proc(UserProc::AdminShell).cloned() else {
                return fallback(bg, dev, t);
            };
            let cmd = rng.pick(ADMIN_PS).to_string();
            let c = admin_child(bg, s, Img::Powershell, cmd, t, &e);
            (e, c)
        }
        (41, Some(s)) => {
            let Some(e) = s.proc(UserProc::Explorer).cloned() else {
                return fallback(bg, dev, t);
            };
            let (img, cmd) = if dev.role == Role::DomainController {
                match bg.rng.below(3) {
                    0 => (Img::Repadmin, "repadmin  /replsummary".to_string()),
                    1 => (Img::Dcdiag, "dcdiag.exe /q".to_string()),
                    _ => (
                        Img::Mmc,
                        r#""C:\Windows\system32\mmc.exe" "C:\Windows\system32\dsa.msc" "#
                            .to_string(),
                    ),
                }
            } else {
                (
                    Img::Mmc,
                    r#""C:\Windows\system32\mmc.exe" "C:\Windows\system32\fsmgmt.msc" "#
                        .to_string(),
                )
            };
            let c = admin_child(bg, s, img, cmd, t, &e);
            (e, c)
        }
        _ => return fallback(bg, dev, t),
    };
    fill::process_created(&mut bg.row, world, dev, &mut bg.rng, &parent, &child)
}

fn fallback(bg: &mut Bg<'_>, dev: &Device, t: i64) -> Rec {
    let world = bg.world;
    let p = sys(dev, Sys::SvcSchedule).clone();
    let cmd = bg.rng.pick(TASKHOST).to_string();
    let c = system_child(&mut bg.rng, Img::Taskhostw, cmd, t, &p);
    fill::process_created(&mut bg.row, world, dev, &mut bg.rng, &p, &c)
}

fn browser_child_cmd(rng: &mut Rng, browser: Browser, profile: &str) -> String {
    let n = rng.range(3, 60);
    let id = rng.range(1_000_000_000, 9_999_999_999);
    match browser {
        Browser::Edge => match rng.below(3) {
            0 => format!(
                r#""C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe" --type=renderer --instant-process --lang=it --js-flags=--ms-user-locale= --device-scale-factor=1 --num-raster-threads=4 --enable-main-frame-before-activation --renderer-client-id={n} --time-ticks-at-unix-epoch=-1737{id} --launch-time-ticks={id} --field-trial-handle=2144,i,{id},{},262144 --variations-seed-version /prefetch:1"#,
                id / 3
            ),
            1 => format!(
                r#""C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=it --service-sandbox-type=none --field-trial-handle=2144,i,{id},{},262144 --variations-seed-version /prefetch:3"#,
                id / 7
            ),
            _ => format!(
                r#""C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe" --type=gpu-process --no-appcompat-clear --gpu-preferences=UAAAAAAAAADgAAAEAAAAAAAAAAAAAAAAAABgAAEAAAAAAAAAAAAAAAAAAAACAAAAAAAAAAAAAAAAAAAAAAAAEAAAAAAAAAAIAAAAAAAAAAgAAAAAAAAA --field-trial-handle=2144,i,{id},{},262144 /prefetch:2"#,
                id / 5
            ),
        },
        Browser::Chrome => format!(
            r#""C:\Program Files\Google\Chrome\Application\chrome.exe" --type=renderer --lang=it --device-scale-factor=1 --num-raster-threads=4 --renderer-client-id={n} --launch-time-ticks={id} --field-trial-handle=1980,i,{id},{},262144 /prefetch:1"#,
            id / 9
        ),
        Browser::Firefox => format!(
            r#""C:\Program Files\Mozilla Firefox\firefox.exe" -contentproc -childID {n} -isForBrowser -prefsLen 31244 -prefMapSize 244418 -jsInitLen 231800 -parentBuildID 20250120184232 -greomni "C:\Program Files\Mozilla Firefox\omni.ja" -appomni "C:\Program Files\Mozilla Firefox\browser\omni.ja" -appDir "C:\Program Files\Mozilla Firefox\browser" - {{{}}} 6480 "\\.\pipe\gecko-crash-server-pipe.6480" tab"#,
            guid(id as u64 ^ hash_str(profile))
        ),
    }
}

fn doc_dir(rng: &mut Rng, profile: &str) -> String {
    match rng.below(3) {
        0 => format!(r"C:\Users\{profile}\Documents"),
        1 => format!(r"C:\Users\{profile}\OneDrive - Contoso\Documents"),
        _ => format!(r"C:\Users\{profile}\Desktop"),
    }
}

// ---------------------------------------------------------------- files

const DOWNLOADS: &[(&str, &str, &str, i64)] = &[
    ("Invoice_2026-0117.pdf", "https://portal.fornitore-rossi.it/fatture/download?id=2026-0117", "185.60.12.4", 184_230),
    ("AcroRdrDCx642400520414_it_IT.exe", "https://ardownload2.adobe.com/pub/adobe/acrobat/win/AcrobatDC/2400520414/AcroRdrDCx642400520414_it_IT.exe", "23.48.201.52", 5_489_912),
    ("Employee handbook 2026.pdf", "https://contoso.sharepoint.com/sites/HR/Shared%20Documents/Employee%20handbook%202026.pdf", "13.107.136.10", 2_302_144),
    ("screenshot-dashboard.png", "https://contoso.sharepoint.com/sites/IT/Shared%20Documents/screenshot-dashboard.png", "13.107.136.10", 402_881),
    ("bank-statement-dec.csv", "https://www.banca-esempio.it/ib/export/estratto-conto.csv", "193.205.32.18", 39_004),
    ("Teams_windows_x64.msi", "https://statics.teams.cdn.office.net/production-windows-x64/enterprise/webview2/lkg/MSTeams-x64.msix", "23.219.81.74", 121_733_120),
    ("VSCodeUserSetup-x64-1.96.4.exe", "https://vscode.download.prss.microsoft.com/dbazure/download/stable/cd4ee3b1c348a13bafd8f9ad8060705f6d4b9cba/VSCodeUserSetup-x64-1.96.4.exe", "13.107.246.45", 99_142_664),
];

const ZIP_DOWNLOADS: &[(&str, &str, &str, i64)] = &[
    ("SysinternalsSuite.zip", "https://download.sysinternals.com/files/SysinternalsSuite.zip", "152.199.19.161", 53_109_452),
    ("brand-assets-2026.zip", "https://contoso.sharepoint.com/sites/Marketing/Shared%20Documents/brand-assets-2026.zip", "13.107.136.10", 18_774_016),
    ("HP_LaserJet_M507_x64.zip", "https://ftp.hp.com/pub/softlib/software13/printers/LJM507/HP_LaserJet_M507_x64.zip", "23.44.4.181", 71_352_203),
    ("fatture_gennaio.zip", "https://portal.fornitore-rossi.it/fatture/archivio?mese=2026-01", "185.60.12.4", 1_402_338),
    ("npp.8.7.5.portable.x64.zip", "https://github.com/notepad-plus-plus/notepad-plus-plus/releases/download/v8.7.5/npp.8.7.5.portable.x64.zip", "140.82.121.4", 6_112_860),
];

const ATTACHMENTS: &[&str] = &[
    "Invoice_INV-20417.pdf",
    "Ordine_4471.pdf",
    "Agenda Q1 kickoff.docx",
    "Price list 2026.xlsx",
    "image001.png",
    "Signed contract.pdf",
];

const ZIP_ATTACHMENTS: &[&str] = &[
    "Scans_Jan2026.zip",
    "Documenti_gara.zip",
    "payslips_2025.zip",
];

const SHARES: &[(&str, &str)] = &[
    ("Finance", r"D:\Shares\Finance\Budget"),
    ("Finance", r"D:\Shares\Finance\Invoices\2026"),
    ("HR", r"D:\Shares\HR\Onboarding"),
    ("Marketing", r"D:\Shares\Marketing\Campaigns"),
    ("IT", r"D:\Shares\IT\Scripts"),
    ("Public", r"D:\Shares\Public"),
];

#[allow(clippy::too_many_arguments)]
fn file_event_row(
    bg: &mut Bg<'_>,
    dev: &Device,
    by: &Proc,
    action: &str,
    name: &str,
    path: &str,
    size: i64,
    _t: i64,
) {
    begin(bg, dev, action);
    let (sha1, sha256, md5) = file_hashes(&format!("{path}|{size}"));
    file_cols(&mut bg.row, name, path, (&sha1, &sha256, &md5), size);
    fill::initiating(&mut bg.row, bg.world, dev, by);
}

fn file_event(bg: &mut Bg<'_>, dev: &Device, t: i64) -> Rec {
    let world = bg.world;
    let session = dev.active_session(t);
    let mut weights = vec![2.0, 1.4, 0.9, 0.5];
    let mut ids: Vec<u8> = vec![0, 1, 2, 3];
    let mut add = |w: f64, id: u8| {
        weights.push(w);
        ids.push(id);
    };
    if dev.azure {
        add(1.5, 4);
    }
    match dev.role {
        Role::FileServer => add(6.0, 30),
        Role::Sql => add(0.8, 31),
        Role::Build => add(5.0, 32),
        Role::Web => add(2.0, 33),
        Role::DomainController => add(1.0, 34),
        Role::Client => {}
    }
    if let Some(s) = session {
        if dev.kind == Kind::Workstation {
            add(
                if dev.name.starts_with("finance") {
                    4.0
                } else {
                    2.5
                },
                10,
            );
            add(0.7, 11);
            add(2.0, 12);
            add(1.0, 13);
            add(0.5, 14);
        } else if s.proc(UserProc::AdminShell).is_some() {
            add(1.0, 15);
        }
    }
    let id = ids[bg.rng.weighted(&weights)];
    let rng = &mut bg.rng;
    match (id, session) {
        (0, _) => {
            let p = sys(dev, Sys::MsMpEng).clone();
            let g = guid(hash_str(&format!(
                "defs/{}/{}",
                dev.name,
                t / TICKS_PER_DAY
            )));
            let name = *rng.pick(&[
                "mpavdlta.vdm",
                "mpasdlta.vdm",
                "mpengine.dll",
                "mpavbase.vdm",
                "MpSigStub.exe",
            ]);
            let action = *rng.pick(&["FileCreated", "FileCreated", "FileModified", "FileDeleted"]);
            let path = format!(
                r"C:\ProgramData\Microsoft\Windows Defender\Definition Updates\{{{}}}\{name}",
                g.to_ascii_uppercase()
            );
            let size = rng.range(400_000, 18_000_000);
            file_event_row(bg, dev, &p, action, name, &path, size, t);
        }
        (1, _) => {
            let p = sys(dev, Sys::SvcWu).clone();
            let dir = hex(
                hash_str(&format!("wu/{}/{}", dev.name, t / TICKS_PER_DAY)),
                32,
            );
            let name = match rng.below(4) {
                0 => format!("windows11.0-kb50{}-x64.cab", rng.range(50_000, 52_999)),
                1 => format!("{}.psf", hex(rng.next_u64(), 40)),
                2 => "DesktopDeployment.cab".to_string(),
                _ => format!("am_delta_patch_1.423.{}.0.exe", rng.range(120, 139)),
            };
            let path = format!(r"C:\Windows\SoftwareDistribution\Download\{dir}\{name}");
            let size = rng.range(20_000, 40_000_000);
            file_event_row(bg, dev, &p, "FileCreated", &name, &path, size, t);
        }
        (2, _) => {
            if rng.chance(0.5) {
                let p = system_child(
                    rng,
                    Img::TiWorker,
                    format!("{} -Embedding", dev.image(Img::TiWorker).path),
                    t - mins(3),
                    sys(dev, Sys::SvcDcom),
                );
                let name = if rng.chance(0.5) {
                    "CBS.log".to_string()
                } else {
                    format!("CbsPersist_202601{}.log", rng.range(10_000_000, 29_999_999))
                };
                let path = format!(r"C:\Windows\Logs\CBS\{name}");
                let size = rng.range(1_000_000, 30_000_000);
                file_event_row(bg, dev, &p, "FileModified", &name, &path, size, t);
            } else {
                let p = sys(dev, Sys::SvcSchedule).clone();
                let exe = rng.pick(&[
                    "SVCHOST.EXE",
                    "MSEDGE.EXE",
                    "TASKHOSTW.EXE",
                    "BACKGROUNDTASKHOST.EXE",
                    "WMIPRVSE.EXE",
                    "CONHOST.EXE",
                ]);
                let name = format!("{exe}-{}.pf", hex(rng.next_u64(), 8).to_ascii_uppercase());
                let path = format!(r"C:\Windows\Prefetch\{name}");
                let size = rng.range(4_000, 90_000);
                file_event_row(bg, dev, &p, "FileModified", &name, &path, size, t);
            }
        }
        (3, _) => {
            let p = sys(dev, Sys::SvcTelemetry).clone();
            let name = rng
                .pick(&[
                    "AutoLogger-Diagtrack-Listener.etl",
                    "Diagtrack-Listener.etl",
                ])
                .to_string();
            let path = format!(r"C:\ProgramData\Microsoft\Diagnosis\ETLLogs\AutoLogger\{name}");
            let size = rng.range(100_000, 4_000_000);
            file_event_row(bg, dev, &p, "FileModified", &name, &path, size, t);
        }
        (4, _) => {
            let p = sys(dev, Sys::GuestAgent).clone();
            let name = rng
                .pick(&[
                    "WaAppAgent.log",
                    "TransparentInstaller.log",
                    "Telemetry.log",
                ])
                .to_string();
            let path = format!(r"C:\WindowsAzure\Logs\{name}");
            let size = rng.range(100_000, 10_000_000);
            file_event_row(bg, dev, &p, "FileModified", &name, &path, size, t);
        }
        (10, Some(s)) => {
            let profile = world.accounts[s.account].profile.clone();
            let doc = rng.pick(DOCS).to_string();
            let dir = doc_dir(rng, &profile);
            let (img, exe) = if doc.ends_with(".docx") {
                (Img::Winword, "WINWORD.EXE")
            } else {
                (Img::Excel, "EXCEL.EXE")
            };
            let Some(e) = s.proc(UserProc::Explorer).cloned() else {
                return fallback_file(bg, dev, t);
            };
            let cmd = format!(
                r#""C:\Program Files\Microsoft Office\Root\Office16\{exe}" /n "{dir}\{doc}""#
            );
            let p = running(bg, s, img, cmd, t, &e);
            let rng = &mut bg.rng;
            let stem = doc.split('.').next().unwrap_or("doc").to_string();
            match rng.below(5) {
                0 | 1 => {
                    let path = format!(r"{dir}\{doc}");
                    let size = 20_000 + (hash_str(&path) % 900_000) as i64 + rng.range(0, 4_000);
                    file_event_row(bg, dev, &p, "FileModified", &doc, &path, size, t);
                }
                2 => {
                    let owner = format!("~${}", doc.get(2..).unwrap_or(&doc));
                    let path = format!(r"{dir}\{owner}");
                    let action = if rng.chance(0.5) {
                        "FileCreated"
                    } else {
                        "FileDeleted"
                    };
                    file_event_row(bg, dev, &p, action, &owner, &path, 162, t);
                }
                3 => {
                    let name = if img == Img::Winword {
                        format!("~WRL{:04}.tmp", rng.range(0, 3000))
                    } else {
                        format!("{}.tmp", hex(rng.next_u64(), 8).to_ascii_uppercase())
                    };
                    let path = format!(r"{dir}\{name}");
                    let action = *rng.pick(&["FileCreated", "FileRenamed", "FileDeleted"]);
                    let size = rng.range(10_000, 400_000);
                    file_event_row(bg, dev, &p, action, &name, &path, size, t);
                }
                _ => {
                    let name = format!("{stem}.tmp");
                    let path = format!(
                        r"C:\Users\{profile}\AppData\Local\Microsoft\Office\UnsavedFiles\{name}"
                    );
                    let size = rng.range(10_000, 400_000);
                    file_event_row(bg, dev, &p, "FileCreated", &name, &path, size, t);
                }
            }
        }
        (11, Some(s)) => {
            let Some(b) = s.proc(UserProc::Browser).cloned() else {
                return fallback_file(bg, dev, t);
            };
            let profile = world.accounts[s.account].profile.clone();
            let zip = t < zip_cutoff() && rng.chance(0.3);
            let (name, url, ip, size) = if zip {
                *rng.pick(ZIP_DOWNLOADS)
            } else {
                *rng.pick(DOWNLOADS)
            };
            let path = format!(r"C:\Users\{profile}\Downloads\{name}");
            file_event_row(bg, dev, &b, "FileCreated", name, &path, size, t);
            bg.row.s("FileOriginUrl", url);
            bg.row.s("FileOriginIP", ip);
            let referrer = if url.contains("sharepoint") {
                "https://contoso.sharepoint.com/"
            } else if url.contains("github.com") {
                "https://github.com/notepad-plus-plus/notepad-plus-plus/releases"
            } else {
                "https://www.google.com/"
            };
            bg.row.s("FileOriginReferrerUrl", referrer);
        }
        (12, Some(s)) => {
            let Some(od) = s.proc(UserProc::OneDrive).cloned() else {
                return fallback_file(bg, dev, t);
            };
            let profile = world.accounts[s.account].profile.clone();
            let doc = rng.pick(DOCS).to_string();
            let sub = rng.pick(&["Documents", "Desktop", "Shared", "Projects"]);
            let path = format!(r"C:\Users\{profile}\OneDrive - Contoso\{sub}\{doc}");
            let action = *rng.pick(&["FileModified", "FileModified", "FileCreated", "FileRenamed"]);
            let size = 20_000 + (hash_str(&path) % 900_000) as i64;
            file_event_row(bg, dev, &od, action, &doc, &path, size, t);
            if action == "FileRenamed" {
                bg.row.s("PreviousFileName", &format!("{doc}.~tmp"));
                bg.row.s(
                    "PreviousFolderPath",
                    &format!(r"C:\Users\{profile}\OneDrive - Contoso\{sub}\{doc}.~tmp"),
                );
            }
        }
        (13, Some(s)) => {
            let Some(o) = s.proc(UserProc::Outlook).cloned() else {
                return fallback_file(bg, dev, t);
            };
            let profile = world.accounts[s.account].profile.clone();
            let zip = t < zip_cutoff() && rng.chance(0.2);
            let name = if zip {
                *rng.pick(ZIP_ATTACHMENTS)
            } else {
                *rng.pick(ATTACHMENTS)
            };
            let folder = hex(hash_str(&format!("olk/{profile}")), 8).to_ascii_uppercase();
            let path = format!(
                r"C:\Users\{profile}\AppData\Local\Microsoft\Windows\INetCache\Content.Outlook\{folder}\{name}"
            );
            let size = 30_000 + (hash_str(name) % 3_000_000) as i64;
            file_event_row(bg, dev, &o, "FileCreated", name, &path, size, t);
        }
        (14, Some(s)) => {
            let Some(e) = s.proc(UserProc::Explorer).cloned() else {
                return fallback_file(bg, dev, t);
            };
            let profile = world.accounts[s.account].profile.clone();
            if t < zip_cutoff() && rng.chance(0.25) {
                // "Send to > Compressed (zipped) folder".
                let name = rng
                    .pick(&["Foto evento.zip", "receipts.zip", "Project Falco.zip"])
                    .to_string();
                let path = format!(r"C:\Users\{profile}\Desktop\{name}");
                let size = rng.range(200_000, 30_000_000);
                file_event_row(bg, dev, &e, "FileCreated", &name, &path, size, t);
            } else {
                let doc = rng.pick(DOCS).to_string();
                let path = format!(r"C:\Users\{profile}\Documents\{doc}");
                file_event_row(
                    bg,
                    dev,
                    &e,
                    "FileRenamed",
                    &doc,
                    &path,
                    20_000 + (hash_str(&path) % 900_000) as i64,
                    t,
                );
                bg.row
                    .s("PreviousFileName", "New Microsoft Excel Worksheet.xlsx");
                bg.row.s(
                    "PreviousFolderPath",
                    &format!(r"C:\Users\{profile}\Documents\New Microsoft Excel Worksheet.xlsx"),
                );
            }
        }
        (15, Some(s)) => {
            let Some(e) = s.proc(UserProc::AdminShell).cloned() else {
                return fallback_file(bg, dev, t);
            };
            let p = admin_child(
                bg,
                s,
                Img::Powershell,
                r#""C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" "#.into(),
                t - mins(4),
                &e,
            );
            let profile = world.accounts[s.account].profile.clone();
            let name = format!(
                "__PSScriptPolicyTest_{}.{}.ps1",
                hex(bg.rng.next_u64(), 8),
                hex(bg.rng.next_u64(), 3)
            );
            let path = format!(r"C:\Users\{profile}\AppData\Local\Temp\{name}");
            let action = if bg.rng.chance(0.5) {
                "FileCreated"
            } else {
                "FileDeleted"
            };
            file_event_row(bg, dev, &p, action, &name, &path, 1, t);
        }
        (30, _) => {
            let kernel = sys(dev, Sys::Kernel).clone();
            let clients: Vec<&Device> = world
                .devices
                .iter()
                .filter(|d| d.kind == Kind::Workstation && !d.azure)
                .collect();
            let client = clients[rng.below(clients.len())];
            let acct = client.user.map_or(crate::world::SYSTEM, |u| u);
            let (share, dir) = *rng.pick(SHARES);
            let zip = t < zip_cutoff() && share == "Marketing" && rng.chance(0.3);
            let name = if zip {
                "brand-assets-2026.zip".to_string()
            } else {
                rng.pick(DOCS).to_string()
            };
            let path = format!(r"{dir}\{name}");
            let action = *rng.pick(&[
                "FileModified",
                "FileModified",
                "FileCreated",
                "FileRenamed",
                "FileDeleted",
            ]);
            let size = 20_000 + (hash_str(&path) % 900_000) as i64;
            file_event_row(bg, dev, &kernel, action, &name, &path, size, t);
            let a = &world.accounts[acct];
            bg.row.s("RequestProtocol", "SMB");
            bg.row.s("RequestSourceIP", client.ip);
            bg.row.n("RequestSourcePort", bg.rng.range(49_700, 65_000));
            bg.row.s("RequestAccountName", &a.name);
            bg.row.s("RequestAccountDomain", "CONTOSO");
            bg.row.s("RequestAccountSid", &a.sid);
            bg.row.s("ShareName", share);
        }
        (31, _) => {
            let p = sys(dev, Sys::Sqlservr).clone();
            let (y, m, d) = civil_from_days(t / TICKS_PER_DAY);
            let db = rng.pick(&["ContosoERP", "HRPayroll", "ReportServer"]);
            let name = format!("{db}_{y}{m:02}{d:02}_020000.bak");
            let path = format!(r"E:\MSSQL\Backup\{name}");
            let size = rng.range(200_000_000, 2_000_000_000);
            file_event_row(bg, dev, &p, "FileCreated", &name, &path, size, t);
        }
        (32, _) => {
            let listener = sys(dev, Sys::AgentListener).clone();
            let back = secs(rng.range(5, 200));
            let mut p = system_child(rng, Img::Dotnet, r#""C:\Program Files\dotnet\dotnet.exe" build D:\a\1\s\ContosoPortal.sln --configuration Release"#.into(), t - back, &listener);
            p.account = listener.account;
            p.integrity = "High";
            let build = rng.range(410, 460);
            if t < zip_cutoff() && rng.chance(0.08) {
                let mut z = system_child(
                    rng,
                    Img::SevenZip,
                    format!(
                        r#""C:\Program Files\7-Zip\7z.exe" a -tzip D:\a\1\a\contoso-portal-1.8.{build}.zip D:\a\1\s\publish\*"#
                    ),
                    t - secs(3),
                    &listener,
                );
                z.account = listener.account;
                let name = format!("contoso-portal-1.8.{build}.zip");
                let path = format!(r"D:\a\1\a\{name}");
                let size = rng.range(20_000_000, 40_000_000);
                file_event_row(bg, dev, &z, "FileCreated", &name, &path, size, t);
            } else {
                let proj = rng.pick(&[
                    "Contoso.Portal.Web",
                    "Contoso.Portal.Core",
                    "Contoso.Portal.Data",
                    "Contoso.Portal.Tests",
                ]);
                let ext = rng.pick(&["dll", "pdb", "deps.json", "dll"]);
                let name = format!("{proj}.{ext}");
                let path = format!(r"D:\a\1\s\src\{proj}\bin\Release\net8.0\{name}");
                let size = rng.range(20_000, 2_000_000);
                file_event_row(bg, dev, &p, "FileCreated", &name, &path, size, t);
            }
        }
        (33, _) => {
            let p = sys(dev, Sys::W3wp).clone();
            let (y, m, d) = civil_from_days(t / TICKS_PER_DAY);
            let name = format!("u_ex{:02}{m:02}{d:02}.log", y % 100);
            let path = format!(r"C:\inetpub\logs\LogFiles\W3SVC1\{name}");
            let size = rng.range(1_000_000, 20_000_000);
            file_event_row(bg, dev, &p, "FileModified", &name, &path, size, t);
        }
        (34, _) => {
            let p = sys(dev, Sys::DnsServer).clone();
            let path = r"C:\Windows\System32\dns\dns.log";
            let size = rng.range(1_000_000, 50_000_000);
            file_event_row(bg, dev, &p, "FileModified", "dns.log", path, size, t);
        }
        _ => return fallback_file(bg, dev, t),
    }
    bg.row.finish(t)
}

fn fallback_file(bg: &mut Bg<'_>, dev: &Device, t: i64) -> Rec {
    let p = sys(dev, Sys::SvcTelemetry).clone();
    let name = "AutoLogger-Diagtrack-Listener.etl";
    let path = format!(r"C:\ProgramData\Microsoft\Diagnosis\ETLLogs\AutoLogger\{name}");
    let size = bg.rng.range(100_000, 4_000_000);
    file_event_row(bg, dev, &p, "FileModified", name, &path, size, t);
    bg.row.finish(t)
}

// -------------------------------------------------------------- network

const WEB: &[(&str, &str)] = &[
    ("www.google.com", "142.250.180.100"),
    ("www.bing.com", "13.107.21.200"),
    ("login.microsoftonline.com", "20.190.160.22"),
    ("contoso.sharepoint.com", "13.107.136.10"),
    ("github.com", "140.82.121.4"),
    ("stackoverflow.com", "151.101.1.69"),
    ("www.linkedin.com", "13.107.42.14"),
    ("it.wikipedia.org", "185.15.59.224"),
    ("www.repubblica.it", "151.101.2.132"),
    ("www.corriere.it", "23.214.208.41"),
    ("learn.microsoft.com", "23.55.124.138"),
    ("www.youtube.com", "142.250.184.46"),
    ("fonts.gstatic.com", "142.250.180.131"),
    ("www.amazon.it", "52.95.120.35"),
    ("www.ilsole24ore.com", "104.18.22.155"),
    ("portal.azure.com", "20.50.2.34"),
    ("www.office.com", "52.98.152.2"),
    ("ntp.msn.com", "204.79.197.203"),
    ("edge.microsoft.com", "13.107.21.239"),
    ("www.dhl.com", "104.82.177.73"),
];

const MS_SYSTEM: &[(&str, &str, i64)] = &[
    ("settings-win.data.microsoft.com", "20.42.73.24", 443),
    ("v10.events.data.microsoft.com", "20.189.173.3", 443),
    ("slscr.update.microsoft.com", "20.12.23.50", 443),
    ("fe3cr.delivery.mp.microsoft.com", "20.12.23.50", 443),
    ("2.tlu.dl.delivery.mp.microsoft.com", "23.51.120.76", 80),
    ("ctldl.windowsupdate.com", "93.184.221.240", 80),
    (
        "array612.prod.do.dsp.mp.microsoft.com",
        "20.54.232.160",
        443,
    ),
];

const DEFENDER_HOSTS: &[(&str, &str)] = &[
    ("wdcp.microsoft.com", "20.229.127.115"),
    ("definitionupdates.microsoft.com", "13.107.4.52"),
    ("winatp-gw-weu3.microsoft.com", "20.50.201.195"),
    ("eu-v20.events.data.microsoft.com", "20.189.173.12"),
    ("go.microsoft.com", "23.218.93.120"),
];

fn ephemeral(rng: &mut Rng) -> i64 {
    rng.range(49_700, 65_400)
}

fn dns_server(dev: &Device) -> &'static str {
    if dev.azure {
        "168.63.129.16"
    } else {
        "10.20.0.10"
    }
}

fn network_event(bg: &mut Bg<'_>, dev: &Device, t: i64) -> Rec {
    let world = bg.world;
    let session = dev.active_session(t);
    let mut weights = vec![3.0, 1.2, 1.0, 2.0, 1.0, 0.4, 1.6, 1.0, 0.5, 0.3, 0.3];
    let mut ids: Vec<u8> = (0..11).collect();
    let mut add = |w: f64, id: u8| {
        weights.push(w);
        ids.push(id);
    };
    if dev.azure {
        add(2.0, 11);
    } else {
        add(1.5, 12);
    }
    match dev.role {
        Role::DomainController => add(8.0, 30),
        Role::FileServer => add(5.0, 31),
        Role::Sql => add(3.0, 32),
        Role::Web => add(6.0, 33),
        Role::Build => add(5.0, 34),
        Role::Client => {}
    }
    if let Some(s) = session {
        if dev.kind == Kind::Workstation {
            add(7.0, 20);
            add(1.5, 21);
            add(1.5, 22);
            add(1.0, 23);
            add(1.0, 24);
            if dev.name == "marco-laptop" {
                add(0.4, 25);
            }
        } else if s.proc(UserProc::AdminShell).is_some() {
            add(1.0, 26);
        }
    }
    let id = ids[bg.rng.weighted(&weights)];
    let rng = &mut bg.rng;
    let lport = ephemeral(rng);
    let mut af: Option<String> = None;
    let proc_: Proc;
    let action: &str;
    match (id, session) {
        (0, _) => {
            proc_ = if dev.role == Role::DomainController {
                sys(dev, Sys::DnsServer)
            } else {
                sys(dev, Sys::SvcDns)
            }
            .clone();
            action = "ConnectionSuccess";
            let server = if dev.role == Role::DomainController {
                *rng.pick(&["8.8.8.8", "1.1.1.1"])
            } else {
                dns_server(dev)
            };
            begin(bg, dev, action);
            fill::connection(&mut bg.row, dev.ip, lport, server, 53, "", "Udp");
        }
        (1, _) => {
            proc_ = sys(dev, Sys::SvcWu).clone();
            action = if rng.chance(0.95) {
                "ConnectionSuccess"
            } else {
                "ConnectionFailed"
            };
            let (host, ip, port) = *rng.pick(MS_SYSTEM);
            begin(bg, dev, action);
            fill::connection(&mut bg.row, dev.ip, lport, ip, port, host, "Tcp");
        }
        (2, _) => {
            proc_ = sys(dev, Sys::MsMpEng).clone();
            action = "ConnectionSuccess";
            let (host, ip) = *rng.pick(&DEFENDER_HOSTS[..2]);
            begin(bg, dev, action);
            fill::connection(&mut bg.row, dev.ip, lport, ip, 443, host, "Tcp");
        }
        (3, _) => {
            let p = sys(dev, Sys::MsSense).clone();
            proc_ = if rng.chance(0.5) {
                let cmd = "\"C:\\Program Files\\Windows Defender Advanced Threat Protection\\SenseCncProxy.exe\"".to_string();
                let back = secs(rng.range(2, 50));
                system_child(rng, Img::SenseCncProxy, cmd, t - back, &p)
            } else {
                p
            };
            action = "ConnectionSuccess";
            let (host, ip) = *rng.pick(&DEFENDER_HOSTS[2..4]);
            begin(bg, dev, action);
            fill::connection(&mut bg.row, dev.ip, lport, ip, 443, host, "Tcp");
        }
        (4, _) => {
            proc_ = sys(dev, Sys::SvcTelemetry).clone();
            action = "ConnectionSuccess";
            let (host, ip, _) = *rng.pick(&MS_SYSTEM[..2]);
            begin(bg, dev, action);
            fill::connection(&mut bg.row, dev.ip, lport, ip, 443, host, "Tcp");
        }
        (5, _) => {
            proc_ = sys(dev, Sys::SvcTime).clone();
            action = "ConnectionSuccess";
            let (server, url) = if dev.role == Role::DomainController || dev.azure {
                ("168.61.215.74", "time.windows.com")
            } else {
                ("10.20.0.10", "")
            };
            begin(bg, dev, action);
            fill::connection(&mut bg.row, dev.ip, 123, server, 123, url, "Udp");
        }
        (6, _) => {
            // Network protection inspected a DNS answer.
            proc_ = sys(dev, Sys::SvcDns).clone();
            action = "DnsConnectionInspected";
            let (host, ip) = *rng.pick(WEB);
            let server = dns_server(dev);
            let ttl = rng.range(5, 300);
            af = Some(format!(
                r#"{{"direction":"Out","uid":"C{}","query":"{host}","qtype":1,"qtype_name":"A","rcode":0,"rcode_name":"NOERROR","AA":false,"TC":false,"RD":true,"RA":true,"Z":0,"answers":["{ip}"],"TTLs":[{ttl}],"rejected":false}}"#,
                hex(rng.next_u64(), 17)
            ));
            begin(bg, dev, action);
            fill::connection(&mut bg.row, dev.ip, lport, server, 53, "", "Udp");
        }
        (7, _) => {
            proc_ = sys(dev, Sys::SvcWu).clone();
            action = "SslConnectionInspected";
            let (host, ip, _) = *rng.pick(MS_SYSTEM);
            af = Some(format!(
                r#"{{"version":"TLSv12","cipher":"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384","curve":"secp384r1","server_name":"{host}","resumed":false,"established":true,"direction":"Out","uid":"C{}"}}"#,
                hex(rng.next_u64(), 17)
            ));
            begin(bg, dev, action);
            fill::connection(&mut bg.row, dev.ip, lport, ip, 443, "", "Tcp");
        }
        (8, _) => {
            proc_ = sys(dev, Sys::SvcWu).clone();
            action = "HttpConnectionInspected";
            af = Some(format!(
                r#"{{"direction":"Out","host":"ctldl.windowsupdate.com","method":"GET","request_body_len":0,"response_body_len":{},"status_code":200,"status_msg":"OK","trans_depth":1,"uri":"/msdownload/update/v3/static/trustedr/en/disallowedcertstl.cab?{}","user_agent":"Microsoft-CryptoAPI/10.0","version":"1.1"}}"#,
                rng.range(5_000, 9_000),
                hex(rng.next_u64(), 16)
            ));
            begin(bg, dev, action);
            fill::connection(&mut bg.row, dev.ip, lport, "93.184.221.240", 80, "", "Tcp");
        }
        (9, _) => {
            let port = *rng.pick(&[135, 445, 5040, 49664, 49665, 49668, 7680]);
            proc_ = if port == 445 {
                sys(dev, Sys::Kernel)
            } else {
                sys(dev, Sys::SvcDcom)
            }
            .clone();
            action = "ListeningConnectionCreated";
            begin(bg, dev, action);
            fill::connection(&mut bg.row, "0.0.0.0", port, "0.0.0.0", 0, "", "Tcp");
        }
        (10, _) => {
            proc_ = sys(dev, Sys::Kernel).clone();
            action = "ConnectionFailed";
            let target = *rng.pick(&["10.20.0.99", "10.20.1.250", "10.20.0.21"]);
            begin(bg, dev, action);
            fill::connection(&mut bg.row, dev.ip, lport, target, 445, "", "Tcp");
        }
        (11, _) => {
            proc_ = sys(dev, Sys::GuestAgent).clone();
            action = "ConnectionSuccess";
            let (ip, port) = *rng.pick(&[
                ("168.63.129.16", 80),
                ("168.63.129.16", 32526),
                ("169.254.169.254", 80),
            ]);
            begin(bg, dev, action);
            fill::connection(&mut bg.row, dev.ip, lport, ip, port, "", "Tcp");
        }
        (12, _) => {
            proc_ = sys(dev, Sys::Lsass).clone();
            action = "ConnectionSuccess";
            let port = *rng.pick(&[88, 389, 389, 135, 49667]);
            begin(bg, dev, action);
            fill::connection(
                &mut bg.row,
                dev.ip,
                lport,
                "10.20.0.10",
                port,
                "dc01.contoso.local",
                "Tcp",
            );
        }
        (20, Some(s)) => {
            proc_ = match s.proc(UserProc::Browser) {
                Some(b) => b.clone(),
                None => sys(dev, Sys::SvcDns).clone(),
            };
            action = if rng.chance(0.97) {
                "ConnectionSuccess"
            } else {
                "ConnectionFailed"
            };
            let (host, ip) = *rng.pick(WEB);
            let port = if rng.chance(0.93) { 443 } else { 80 };
            begin(bg, dev, action);
            fill::connection(&mut bg.row, dev.ip, lport, ip, port, host, "Tcp");
        }
        (21, Some(s)) => {
            proc_ = match s.proc(UserProc::Outlook) {
                Some(b) => b.clone(),
                None => sys(dev, Sys::SvcDns).clone(),
            };
            action = "ConnectionSuccess";
            let (host, ip) = *rng.pick(&[
                ("outlook.office365.com", "52.97.201.34"),
                ("outlook.office.com", "52.98.207.226"),
                ("substrate.office.com", "52.97.146.162"),
            ]);
            begin(bg, dev, action);
            fill::connection(&mut bg.row, dev.ip, lport, ip, 443, host, "Tcp");
        }
        (22, Some(s)) => {
            proc_ = match s.proc(UserProc::Teams) {
                Some(b) => b.clone(),
                None => sys(dev, Sys::SvcDns).clone(),
            };
            action = "ConnectionSuccess";
            let media = rng.chance(0.25);
            let port = rng.range(3478, 3481);
            let (host, ip) = *rng.pick(&[
                ("teams.microsoft.com", "52.113.194.132"),
                ("presence.teams.microsoft.com", "52.115.223.241"),
                ("api.spaces.skype.com", "52.113.194.133"),
            ]);
            begin(bg, dev, action);
            if media {
                fill::connection(
                    &mut bg.row,
                    dev.ip,
                    lport,
                    "52.112.231.114",
                    port,
                    "",
                    "Udp",
                );
            } else {
                fill::connection(&mut bg.row, dev.ip, lport, ip, 443, host, "Tcp");
            }
        }
        (23, Some(s)) => {
            proc_ = match s.proc(UserProc::OneDrive) {
                Some(b) => b.clone(),
                None => sys(dev, Sys::SvcDns).clone(),
            };
            action = "ConnectionSuccess";
            let (host, ip) = *rng.pick(&[
                ("contoso-my.sharepoint.com", "13.107.136.10"),
                ("g.live.com", "13.107.42.13"),
                ("oneclient.sfx.ms", "23.55.124.149"),
            ]);
            begin(bg, dev, action);
            fill::connection(&mut bg.row, dev.ip, lport, ip, 443, host, "Tcp");
        }
        (24, _) => {
            proc_ = sys(dev, Sys::Kernel).clone();
            action = "ConnectionSuccess";
            begin(bg, dev, action);
            fill::connection(&mut bg.row, dev.ip, lport, "10.20.0.20", 445, "", "Tcp");
        }
        (25, Some(s)) => {
            let e = s
                .proc(UserProc::Explorer)
                .cloned()
                .unwrap_or_else(|| sys(dev, Sys::Services).clone());
            proc_ = running(
                bg,
                s,
                Img::Powershell,
                r#""C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe" "#.into(),
                t,
                &e,
            );
            action = "ConnectionSuccess";
            af = Some(r#"{"direction":"Out"}"#.to_string());
            let (host, ip) = *bg.rng.pick(&[
                ("www.powershellgallery.com", "20.60.4.33"),
                ("psg-prod-eastus.azureedge.net", "13.107.246.40"),
                ("aka.ms", "23.218.93.104"),
            ]);
            begin(bg, dev, action);
            let lport = ephemeral(&mut bg.rng);
            fill::connection(&mut bg.row, dev.ip, lport, ip, 443, host, "Tcp");
        }
        (26, Some(s)) => {
            let e = s
                .proc(UserProc::AdminShell)
                .cloned()
                .unwrap_or_else(|| sys(dev, Sys::Services).clone());
            let cmd = r#"powershell.exe -NoProfile -Command "Install-Module -Name PSWindowsUpdate -Scope CurrentUser""#.to_string();
            proc_ = admin_child(bg, s, Img::Powershell, cmd, t - secs(4), &e);
            action = "ConnectionSuccess";
            af = Some(r#"{"direction":"Out"}"#.to_string());
            let (host, ip) = *bg.rng.pick(&[
                ("www.powershellgallery.com", "20.60.4.33"),
                ("psg-prod-eastus.azureedge.net", "13.107.246.40"),
            ]);
            begin(bg, dev, action);
            let lport = ephemeral(&mut bg.rng);
            fill::connection(&mut bg.row, dev.ip, lport, ip, 443, host, "Tcp");
        }
        (30, _) => {
            let clients: Vec<&Device> = world
                .devices
                .iter()
                .filter(|d| d.name != dev.name)
                .collect();
            let client = clients[rng.below(clients.len())];
            let rport = ephemeral(rng);
            let (p, port, proto) = match rng.below(4) {
                0 => (sys(dev, Sys::DnsServer), 53, "Udp"),
                1 => (sys(dev, Sys::Lsass), 88, "Tcp"),
                2 => (sys(dev, Sys::Lsass), 389, "Tcp"),
                _ => (sys(dev, Sys::Lsass), *rng.pick(&[636, 3268, 135]), "Tcp"),
            };
            proc_ = p.clone();
            if port == 53 && rng.chance(0.3) {
                action = "DnsConnectionInspected";
                let (host, _) = *rng.pick(WEB);
                af = Some(format!(
                    r#"{{"direction":"In","uid":"C{}","query":"{host}","qtype":1,"qtype_name":"A","rcode":0,"rcode_name":"NOERROR","RD":true,"RA":true,"rejected":false}}"#,
                    hex(rng.next_u64(), 17)
                ));
            } else {
                action = "InboundConnectionAccepted";
            }
            begin(bg, dev, action);
            fill::connection(&mut bg.row, dev.ip, port, client.ip, rport, "", proto);
        }
        (31, _) => {
            proc_ = sys(dev, Sys::Kernel).clone();
            action = "InboundConnectionAccepted";
            let clients: Vec<&Device> = world
                .devices
                .iter()
                .filter(|d| d.kind == Kind::Workstation && d.name != incident::DEVICE)
                .collect();
            let client = clients[rng.below(clients.len())];
            let rport = ephemeral(rng);
            begin(bg, dev, action);
            fill::connection(&mut bg.row, dev.ip, 445, client.ip, rport, "", "Tcp");
        }
        (32, _) => {
            proc_ = sys(dev, Sys::Sqlservr).clone();
            action = "InboundConnectionAccepted";
            let client = *rng.pick(&["10.50.1.4", "10.50.1.4", "10.20.1.101", "10.20.1.102"]);
            let rport = ephemeral(rng);
            begin(bg, dev, action);
            fill::connection(&mut bg.row, dev.ip, 1433, client, rport, "", "Tcp");
        }
        (33, _) => {
            let rport = ephemeral(rng);
            if rng.chance(0.8) {
                proc_ = sys(dev, Sys::Kernel).clone();
                action = "InboundConnectionAccepted";
                let client = format!(
                    "{}.{}.{}.{}",
                    rng.pick(&[79, 93, 151, 87, 2, 5, 37]),
                    rng.range(1, 254),
                    rng.range(1, 254),
                    rng.range(1, 254)
                );
                begin(bg, dev, action);
                fill::connection(&mut bg.row, dev.ip, 443, &client, rport, "", "Tcp");
            } else {
                proc_ = sys(dev, Sys::W3wp).clone();
                action = "ConnectionSuccess";
                begin(bg, dev, action);
                fill::connection(
                    &mut bg.row,
                    dev.ip,
                    rport,
                    "10.20.0.30",
                    1433,
                    "sql01.contoso.local",
                    "Tcp",
                );
            }
        }
        (34, _) => {
            let listener = sys(dev, Sys::AgentListener).clone();
            let (img, cmd, host, ip) = match rng.below(3) {
                0 => (
                    Img::Git,
                    r#""C:\Program Files\Git\cmd\git.exe" fetch --force --tags --prune --progress --no-recurse-submodules origin"#,
                    "github.com",
                    "140.82.121.3",
                ),
                1 => (
                    Img::Dotnet,
                    r#""C:\Program Files\dotnet\dotnet.exe" restore D:\a\1\s\ContosoPortal.sln"#,
                    "api.nuget.org",
                    "152.199.19.160",
                ),
                _ => (Img::AgentListener, "", "dev.azure.com", "13.107.42.20"),
            };
            proc_ = if img == Img::AgentListener {
                listener
            } else {
                let back = secs(rng.range(1, 30));
                let mut p = system_child(rng, img, cmd.to_string(), t - back, &listener);
                p.account = listener.account;
                p.integrity = "High";
                p
            };
            action = "ConnectionSuccess";
            let lport = ephemeral(&mut bg.rng);
            begin(bg, dev, action);
            fill::connection(&mut bg.row, dev.ip, lport, ip, 443, host, "Tcp");
        }
        _ => {
            proc_ = sys(dev, Sys::SvcDns).clone();
            action = "ConnectionSuccess";
            begin(bg, dev, action);
            let server = dns_server(dev);
            fill::connection(&mut bg.row, dev.ip, lport, server, 53, "", "Udp");
        }
    }
    let _ = action;
    if let Some(af) = af {
        bg.row.s("AdditionalFields", &af);
    }
    fill::initiating(&mut bg.row, world, dev, &proc_);
    bg.row.finish(t)
}

// ------------------------------------------------------------ device info

fn device_info(bg: &mut Bg<'_>, dev: &Device, out: &mut Vec<Rec>) {
    let world = bg.world;
    let aad_device = guid(hash_str(&format!("aad-device/{}", dev.name)));
    let hw = guid(hash_str(&format!("hw/{}", dev.name))).to_ascii_uppercase();
    let sub = "6f1c2a9e-4b7d-4e0a-9c3e-2d8f5a7b1c40";
    for day in 0..DAYS {
        let d0 = range_start() + day * TICKS_PER_DAY;
        let session = dev
            .sessions
            .iter()
            .find(|s| s.logon >= d0 && s.logon < d0 + TICKS_PER_DAY);
        let mut t = match session {
            Some(s) => s.logon + mins(bg.rng.range(30, 150)),
            None => d0 + bg.rng.range(TICKS_PER_HOUR, 20 * TICKS_PER_HOUR),
        } + bg.rng.range(0, 9_999_999);
        if dev.name == incident::DEVICE {
            let (lo, hi) = quiet_window();
            if t > lo && t < hi {
                t = hi + mins(7);
            }
        }
        begin(bg, dev, "");
        let r = &mut bg.row;
        r.s("ClientVersion", "10.8760.26100.3037");
        r.s("PublicIP", dev.public_ip);
        r.s("OSArchitecture", "64-bit");
        r.s("OSPlatform", dev.os_platform);
        r.n("OSBuild", dev.os_build);
        r.b("IsAzureADJoined", true);
        r.s("JoinType", "Hybrid Azure AD Join");
        r.s("AadDeviceId", &aad_device);
        let users = match session {
            Some(s) => {
                let a = &world.accounts[s.account];
                format!(
                    r#"[{{"UserName":"{}","DomainName":"CONTOSO","Sid":"{}"}}]"#,
                    a.name, a.sid
                )
            }
            None => "[]".to_string(),
        };
        r.s("LoggedOnUsers", &users);
        r.s("OSVersion", "10.0");
        r.s("MachineGroup", dev.machine_group);
        r.s("OnboardingStatus", "Onboarded");
        r.s("AdditionalFields", "{}");
        r.s("DeviceCategory", "Endpoint");
        r.s(
            "DeviceType",
            if dev.kind == Kind::Server {
                "Server"
            } else {
                "Workstation"
            },
        );
        r.s("Model", dev.model);
        r.s("Vendor", dev.vendor);
        r.s("OSVersionInfo", dev.os_version_info);
        r.b("IsInternetFacing", dev.role == Role::Web);
        r.s("SensorHealthState", "Active");
        r.b("IsExcluded", false);
        let exposure = match (dev.role, dev.name) {
            (Role::Web, _) | (_, "stefano-test") => "Medium",
            (Role::DomainController, _) => "High",
            _ => "Low",
        };
        r.s("ExposureLevel", exposure);
        r.s(
            "AssetValue",
            if dev.role == Role::DomainController {
                "High"
            } else {
                "Normal"
            },
        );
        r.s("DeviceManualTags", "[]");
        r.s("DeviceDynamicTags", "[]");
        r.s("HardwareUuid", &hw);
        if dev.azure {
            let rg = if dev.kind == Kind::Server {
                "rg-prod-weu"
            } else {
                "rg-dev-weu"
            };
            r.s("AzureResourceId", &format!("/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{}", dev.name));
            r.s("CloudPlatforms", r#"["Azure"]"#);
            r.s("AzureVmId", &guid(hash_str(&format!("vmid/{}", dev.name))));
            r.s("AzureVmSubscriptionId", sub);
        }
        r.b("IsTransient", false);
        r.s("OsBuildRevision", &dev.os_rev.to_string());
        r.s("DiscoverySources", r#"["MDE"]"#);
        r.s(
            "DeviceRoles",
            if dev.role == Role::DomainController {
                r#"["DomainController"]"#
            } else {
                "[]"
            },
        );
        let rec = bg.row.finish(t);
        out.push(rec);
    }
    let _ = ms(0);
}
