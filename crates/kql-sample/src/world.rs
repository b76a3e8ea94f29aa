//! The simulated estate: devices, accounts, executable images and the
//! long-running processes that background events hang off.

use kql_common::time::{days_from_civil, TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MINUTE};
use kql_common::time::{TICKS_PER_MILLISECOND, TICKS_PER_SECOND};

use crate::rng::{file_hashes, guid, hash_str, hex, Rng};

/// First day covered by the sample (a Monday).
pub fn range_start() -> i64 {
    days_from_civil(2026, 1, 26) * TICKS_PER_DAY
}

/// Number of days covered (2026-01-26 through 2026-01-31).
pub const DAYS: i64 = 6;

/// End of the covered range (exclusive).
pub fn range_end() -> i64 {
    range_start() + DAYS * TICKS_PER_DAY
}

/// `2026-01-29T16:49:20.4813094Z`, when the incident archive is written.
pub fn incident_time() -> i64 {
    days_from_civil(2026, 1, 29) * TICKS_PER_DAY
        + 16 * TICKS_PER_HOUR
        + 49 * TICKS_PER_MINUTE
        + 20 * TICKS_PER_SECOND
        + 4_813_094
}

/// Background events on the incident machine stay out of this interval, so
/// the incident window holds exactly the rows written for it.
pub fn quiet_window() -> (i64, i64) {
    let t = incident_time();
    (t - 6 * TICKS_PER_MINUTE, t + 6 * TICKS_PER_MINUTE)
}

/// After this time no ZIP file other than `VMAgentLogs.zip` appears anywhere.
pub fn zip_cutoff() -> i64 {
    incident_time() - 45 * TICKS_PER_MINUTE
}

/// Milliseconds as ticks.
pub const fn ms(v: i64) -> i64 {
    v * TICKS_PER_MILLISECOND
}

/// Seconds as ticks.
pub const fn secs(v: i64) -> i64 {
    v * TICKS_PER_SECOND
}

/// Minutes as ticks.
pub const fn mins(v: i64) -> i64 {
    v * TICKS_PER_MINUTE
}

/// Workstation or server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Workstation,
    Server,
}

/// What a server does (drives which background activity it shows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Client,
    DomainController,
    FileServer,
    Sql,
    Web,
    Build,
}

/// Which browser the user of a device prefers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Browser {
    Edge,
    Chrome,
    Firefox,
}

/// An account as MDE reports it.
#[derive(Clone, Debug)]
pub struct Account {
    pub domain: &'static str,
    pub name: String,
    pub sid: String,
    pub upn: String,
    pub object_id: String,
    /// Profile folder name under `C:\Users`.
    pub profile: String,
}

/// Well-known account indices in [`World::accounts`].
pub const SYSTEM: usize = 0;
pub const LOCAL_SERVICE: usize = 1;
pub const NETWORK_SERVICE: usize = 2;

const DOMAIN_SID: &str = "S-1-5-21-3623811015-3361044348-30300820";

/// Executable images the generator knows about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Img {
    Kernel,
    Wininit,
    Winlogon,
    Userinit,
    Explorer,
    Services,
    Lsass,
    Svchost,
    MsMpEng,
    MpCmdRun,
    MpSigStub,
    MsSense,
    SenseCncProxy,
    SearchIndexer,
    SearchProtocolHost,
    SearchFilterHost,
    Taskhostw,
    Conhost,
    Cmd,
    Powershell,
    TiWorker,
    TrustedInstaller,
    Wuauclt,
    MoUsoCoreWorker,
    Sppsvc,
    WmiPrvSE,
    Dllhost,
    RuntimeBroker,
    BackgroundTaskHost,
    Smartscreen,
    CompatTelRunner,
    Notepad,
    Msedge,
    Chrome,
    Firefox,
    Winword,
    Excel,
    Outlook,
    Teams,
    OneDrive,
    FileCoAuth,
    EdgeUpdate,
    GuestAgent,
    CollectGuestLogs,
    WaAppAgent,
    Dns,
    Sqlservr,
    W3wp,
    AgentListener,
    AgentWorker,
    Dotnet,
    Git,
    SevenZip,
    Robocopy,
    Repadmin,
    Dcdiag,
    Mmc,
    ServerManager,
    SevenZipSetup,
    Gpupdate,
}

/// Number of [`Img`] variants.
pub const IMG_COUNT: usize = Img::Gpupdate as usize + 1;

struct ImageSpec {
    img: Img,
    file: &'static str,
    dir: &'static str,
    company: &'static str,
    product: &'static str,
    /// `OS` means the device's Windows version.
    version: &'static str,
    internal: &'static str,
    original: &'static str,
    description: &'static str,
    size: i64,
    signer: &'static str,
}

const WIN: &str = "Microsoft® Windows® Operating System";
const MS: &str = "Microsoft Corporation";
const SYS32: &str = r"C:\Windows\System32";
const DEFENDER: &str = r"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.24090.11-0";
const OFFICE: &str = r"C:\Program Files\Microsoft Office\root\Office16";
const GUEST_AGENT: &str = r"C:\WindowsAzure\GuestAgent_2.7.41491.1149_2025-01-10_172935";

macro_rules! spec {
    ($img:ident, $file:expr, $dir:expr, $co:expr, $prod:expr, $ver:expr, $int:expr, $orig:expr, $desc:expr, $size:expr, $signer:expr) => {
        ImageSpec {
            img: Img::$img,
            file: $file,
            dir: $dir,
            company: $co,
            product: $prod,
            version: $ver,
            internal: $int,
            original: $orig,
            description: $desc,
            size: $size,
            signer: $signer,
        }
    };
}

const SPECS: &[ImageSpec] = &[
    spec!(
        Kernel,
        "ntoskrnl.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "ntkrnlmp.exe",
        "ntkrnlmp.exe",
        "NT Kernel & System",
        12_189_176,
        "OsVendor"
    ),
    spec!(
        Wininit,
        "wininit.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "wininit",
        "wininit.exe",
        "Windows Start-Up Application",
        438_272,
        "OsVendor"
    ),
    spec!(
        Winlogon,
        "winlogon.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "winlogon",
        "WINLOGON.EXE",
        "Windows Logon Application",
        905_216,
        "OsVendor"
    ),
    spec!(
        Userinit,
        "userinit.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "userinit",
        "USERINIT.EXE",
        "Userinit Logon Application",
        32_768,
        "OsVendor"
    ),
    spec!(
        Explorer,
        "explorer.exe",
        r"C:\Windows",
        MS,
        WIN,
        "OS",
        "explorer",
        "EXPLORER.EXE",
        "Windows Explorer",
        5_397_800,
        "OsVendor"
    ),
    spec!(
        Services,
        "services.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "services.exe",
        "services.exe",
        "Services and Controller app",
        729_088,
        "OsVendor"
    ),
    spec!(
        Lsass,
        "lsass.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "lsass.exe",
        "lsass.exe",
        "Local Security Authority Process",
        83_328,
        "OsVendor"
    ),
    spec!(
        Svchost,
        "svchost.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "svchost.exe",
        "svchost.exe",
        "Host Process for Windows Services",
        57_360,
        "OsVendor"
    ),
    spec!(
        MsMpEng,
        "MsMpEng.exe",
        DEFENDER,
        MS,
        WIN,
        "4.18.24090.11",
        "MsMpEng.exe",
        "MsMpEng.exe",
        "Antimalware Service Executable",
        133_544,
        "OsVendor"
    ),
    spec!(
        MpCmdRun,
        "MpCmdRun.exe",
        DEFENDER,
        MS,
        WIN,
        "4.18.24090.11",
        "MpCmdRun",
        "MpCmdRun.exe",
        "Microsoft Malware Protection Command Line Utility",
        1_595_760,
        "OsVendor"
    ),
    spec!(
        MpSigStub,
        "MpSigStub.exe",
        SYS32,
        MS,
        "Microsoft Malware Protection",
        "1.1.24090.1",
        "MpSigStub.exe",
        "MpSigStub.exe",
        "Microsoft Malware Protection Signature Update Stub",
        1_119_664,
        "Microsoft"
    ),
    spec!(
        MsSense,
        "MsSense.exe",
        r"C:\Program Files\Windows Defender Advanced Threat Protection",
        MS,
        WIN,
        "10.8760.26100.3037",
        "MsSense.exe",
        "MsSense.exe",
        "Windows Defender Advanced Threat Protection Service Executable",
        5_128_432,
        "OsVendor"
    ),
    spec!(
        SenseCncProxy,
        "SenseCncProxy.exe",
        r"C:\Program Files\Windows Defender Advanced Threat Protection",
        MS,
        WIN,
        "10.8760.26100.3037",
        "SenseCncProxy.exe",
        "SenseCncProxy.exe",
        "Windows Defender Advanced Threat Protection Communication Module",
        1_489_456,
        "OsVendor"
    ),
    spec!(
        SearchIndexer,
        "SearchIndexer.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "SearchIndexer.exe",
        "SearchIndexer.exe",
        "Microsoft Windows Search Indexer",
        1_085_440,
        "OsVendor"
    ),
    spec!(
        SearchProtocolHost,
        "SearchProtocolHost.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "SearchProtocolHost.exe",
        "SearchProtocolHost.exe",
        "Microsoft Windows Search Protocol Host",
        446_464,
        "OsVendor"
    ),
    spec!(
        SearchFilterHost,
        "SearchFilterHost.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "SearchFilterHost.exe",
        "SearchFilterHost.exe",
        "Microsoft Windows Search Filter Host",
        262_144,
        "OsVendor"
    ),
    spec!(
        Taskhostw,
        "taskhostw.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "taskhostw.exe",
        "taskhostw.exe",
        "Host Process for Windows Tasks",
        100_960,
        "OsVendor"
    ),
    spec!(
        Conhost,
        "conhost.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "ConHost",
        "CONHOST.EXE",
        "Console Window Host",
        1_040_384,
        "OsVendor"
    ),
    spec!(
        Cmd,
        "cmd.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "cmd",
        "Cmd.Exe",
        "Windows Command Processor",
        323_584,
        "OsVendor"
    ),
    spec!(
        Powershell,
        "powershell.exe",
        r"C:\Windows\System32\WindowsPowerShell\v1.0",
        MS,
        WIN,
        "OS",
        "POWERSHELL",
        "PowerShell.EXE",
        "Windows PowerShell",
        450_560,
        "OsVendor"
    ),
    spec!(
        TiWorker,
        "TiWorker.exe",
        r"C:\Windows\WinSxS\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.22621.4825_none_7d1c4ab47b3b2e71",
        MS,
        WIN,
        "OS",
        "TiWorker.exe",
        "TiWorker.exe",
        "Windows Modules Installer Worker",
        234_816,
        "OsVendor"
    ),
    spec!(
        TrustedInstaller,
        "TrustedInstaller.exe",
        r"C:\Windows\servicing",
        MS,
        WIN,
        "OS",
        "TrustedInstaller.exe",
        "TrustedInstaller.exe",
        "Windows Modules Installer",
        155_136,
        "OsVendor"
    ),
    spec!(
        Wuauclt,
        "wuauclt.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "wuauclt.exe",
        "wuauclt.exe",
        "Windows Update",
        127_488,
        "OsVendor"
    ),
    spec!(
        MoUsoCoreWorker,
        "MoUsoCoreWorker.exe",
        r"C:\Windows\UUS\amd64",
        MS,
        WIN,
        "OS",
        "MoUsoCoreWorker.exe",
        "MoUsoCoreWorker.exe",
        "MoUSO Core Worker Process",
        1_474_560,
        "OsVendor"
    ),
    spec!(
        Sppsvc,
        "sppsvc.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "sppsvc.exe",
        "sppsvc.exe",
        "Microsoft Software Protection Platform Service",
        4_734_976,
        "OsVendor"
    ),
    spec!(
        WmiPrvSE,
        "WmiPrvSE.exe",
        r"C:\Windows\System32\wbem",
        MS,
        WIN,
        "OS",
        "Wmiprvse.exe",
        "Wmiprvse.exe",
        "WMI Provider Host",
        557_056,
        "OsVendor"
    ),
    spec!(
        Dllhost,
        "dllhost.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "dllhost.exe",
        "dllhost.exe",
        "COM Surrogate",
        21_312,
        "OsVendor"
    ),
    spec!(
        RuntimeBroker,
        "RuntimeBroker.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "RuntimeBroker.exe",
        "RuntimeBroker.exe",
        "Runtime Broker",
        135_168,
        "OsVendor"
    ),
    spec!(
        BackgroundTaskHost,
        "backgroundTaskHost.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "backgroundTaskHost.exe",
        "backgroundTaskHost.exe",
        "Background Task Host",
        32_768,
        "OsVendor"
    ),
    spec!(
        Smartscreen,
        "smartscreen.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "smartscreen.exe",
        "smartscreen.exe",
        "Windows Defender SmartScreen",
        2_801_664,
        "OsVendor"
    ),
    spec!(
        CompatTelRunner,
        "CompatTelRunner.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "CompatTelRunner.exe",
        "CompatTelRunner.exe",
        "Microsoft Compatibility Telemetry",
        167_416,
        "OsVendor"
    ),
    spec!(
        Notepad,
        "notepad.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "Notepad",
        "NOTEPAD.EXE",
        "Notepad",
        201_216,
        "OsVendor"
    ),
    spec!(
        Msedge,
        "msedge.exe",
        r"C:\Program Files (x86)\Microsoft\Edge\Application",
        MS,
        "Microsoft Edge",
        "132.0.2957.127",
        "msedge_exe",
        "msedge.exe",
        "Microsoft Edge",
        4_097_064,
        "Microsoft"
    ),
    spec!(
        Chrome,
        "chrome.exe",
        r"C:\Program Files\Google\Chrome\Application",
        "Google LLC",
        "Google Chrome",
        "132.0.6834.111",
        "chrome_exe",
        "chrome.exe",
        "Google Chrome",
        3_152_408,
        "ThirdParty"
    ),
    spec!(
        Firefox,
        "firefox.exe",
        r"C:\Program Files\Mozilla Firefox",
        "Mozilla Corporation",
        "Firefox",
        "134.0.2",
        "Firefox",
        "firefox.exe",
        "Firefox",
        679_864,
        "ThirdParty"
    ),
    spec!(
        Winword,
        "WINWORD.EXE",
        OFFICE,
        MS,
        "Microsoft Office",
        "16.0.18324.20194",
        "WinWord",
        "WinWord.exe",
        "Microsoft Word",
        1_681_280,
        "Microsoft"
    ),
    spec!(
        Excel,
        "EXCEL.EXE",
        OFFICE,
        MS,
        "Microsoft Office",
        "16.0.18324.20194",
        "Excel",
        "Excel.exe",
        "Microsoft Excel",
        71_004_040,
        "Microsoft"
    ),
    spec!(
        Outlook,
        "OUTLOOK.EXE",
        OFFICE,
        MS,
        "Microsoft Outlook",
        "16.0.18324.20194",
        "Outlook",
        "Outlook.exe",
        "Microsoft Outlook",
        42_998_168,
        "Microsoft"
    ),
    spec!(
        Teams,
        "ms-teams.exe",
        r"C:\Program Files\WindowsApps\MSTeams_25007.214.3377.8834_x64__8wekyb3d8bbwe",
        MS,
        "Microsoft Teams",
        "25007.214.3377.8834",
        "ms-teams",
        "ms-teams.exe",
        "Microsoft Teams",
        1_187_848,
        "Microsoft"
    ),
    spec!(
        OneDrive,
        "OneDrive.exe",
        r"C:\Users\{user}\AppData\Local\Microsoft\OneDrive",
        MS,
        "Microsoft OneDrive",
        "24.244.1204.0003",
        "OneDrive.exe",
        "OneDrive.exe",
        "Microsoft OneDrive",
        3_631_416,
        "Microsoft"
    ),
    spec!(
        FileCoAuth,
        "FileCoAuth.exe",
        r"C:\Users\{user}\AppData\Local\Microsoft\OneDrive\24.244.1204.0003",
        MS,
        "Microsoft OneDrive",
        "24.244.1204.0003",
        "FileCoAuth.exe",
        "FileCoAuth.exe",
        "Microsoft OneDriveFile Co-Authoring Executable",
        1_083_184,
        "Microsoft"
    ),
    spec!(
        EdgeUpdate,
        "MicrosoftEdgeUpdate.exe",
        r"C:\Program Files (x86)\Microsoft\EdgeUpdate",
        MS,
        "Microsoft Edge Update",
        "1.3.195.43",
        "Microsoft Edge Update",
        "MicrosoftEdgeUpdate.exe",
        "Microsoft Edge Update",
        211_400,
        "Microsoft"
    ),
    spec!(
        GuestAgent,
        "WindowsAzureGuestAgent.exe",
        GUEST_AGENT,
        MS,
        "Windows Azure Guest Agent",
        "2.7.41491.1149",
        "WindowsAzureGuestAgent.exe",
        "WindowsAzureGuestAgent.exe",
        "Windows Azure Guest Agent",
        556_432,
        "Microsoft"
    ),
    spec!(
        CollectGuestLogs,
        "CollectGuestLogs.exe",
        GUEST_AGENT,
        MS,
        "Windows Azure Guest Agent",
        "2.7.41491.1149",
        "CollectGuestLogs.exe",
        "CollectGuestLogs.exe",
        "Collect Guest Logs",
        1_234_328,
        "Microsoft"
    ),
    spec!(
        WaAppAgent,
        "WaAppAgent.exe",
        r"C:\WindowsAzure\Packages",
        MS,
        "Windows Azure Guest Agent",
        "2.7.41491.1149",
        "WaAppAgent.exe",
        "WaAppAgent.exe",
        "Windows Azure Guest Agent",
        733_072,
        "Microsoft"
    ),
    spec!(
        Dns,
        "dns.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "dns.exe",
        "dns.exe",
        "Domain Name System (DNS) Server",
        2_633_728,
        "OsVendor"
    ),
    spec!(
        Sqlservr,
        "sqlservr.exe",
        r"C:\Program Files\Microsoft SQL Server\MSSQL16.MSSQLSERVER\MSSQL\Binn",
        MS,
        "Microsoft SQL Server",
        "2022.160.4165.4",
        "SQLSERVR",
        "SQLSERVR.EXE",
        "SQL Server Windows NT - 64 Bit",
        541_792,
        "Microsoft"
    ),
    spec!(
        W3wp,
        "w3wp.exe",
        r"C:\Windows\System32\inetsrv",
        MS,
        "Internet Information Services",
        "OS",
        "w3wp.exe",
        "w3wp.exe",
        "IIS Worker Process",
        30_208,
        "OsVendor"
    ),
    spec!(
        AgentListener,
        "Agent.Listener.exe",
        r"C:\agent\bin",
        MS,
        "Microsoft Azure Pipelines Agent",
        "4.248.0",
        "Agent.Listener.dll",
        "Agent.Listener.dll",
        "Agent.Listener",
        144_896,
        "Microsoft"
    ),
    spec!(
        AgentWorker,
        "Agent.Worker.exe",
        r"C:\agent\bin",
        MS,
        "Microsoft Azure Pipelines Agent",
        "4.248.0",
        "Agent.Worker.dll",
        "Agent.Worker.dll",
        "Agent.Worker",
        144_896,
        "Microsoft"
    ),
    spec!(
        Dotnet,
        "dotnet.exe",
        r"C:\Program Files\dotnet",
        MS,
        "Microsoft® .NET",
        "8.0.1224.60305",
        "dotnet.exe",
        ".NET Host",
        ".NET Host",
        97_064,
        "Microsoft"
    ),
    spec!(
        Git,
        "git.exe",
        r"C:\Program Files\Git\cmd",
        "The Git Development Community",
        "Git",
        "2.47.1.1",
        "git",
        "git.exe",
        "Git for Windows",
        45_640,
        "ThirdParty"
    ),
    spec!(
        SevenZip,
        "7z.exe",
        r"C:\Program Files\7-Zip",
        "Igor Pavlov",
        "7-Zip",
        "24.08",
        "7z",
        "7z.exe",
        "7-Zip Console",
        559_616,
        "ThirdParty"
    ),
    spec!(
        Robocopy,
        "Robocopy.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "ROBOCOPY.EXE",
        "ROBOCOPY.EXE",
        "Microsoft Robocopy",
        135_168,
        "OsVendor"
    ),
    spec!(
        Repadmin,
        "repadmin.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "repadmin.exe",
        "repadmin.exe",
        "Replication Diagnostics Tool",
        547_840,
        "OsVendor"
    ),
    spec!(
        Dcdiag,
        "dcdiag.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "dcdiag.exe",
        "dcdiag.exe",
        "Domain Controller Diagnosis",
        1_073_152,
        "OsVendor"
    ),
    spec!(
        Mmc,
        "mmc.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "MMC.EXE",
        "MMC.EXE",
        "Microsoft Management Console",
        2_097_152,
        "OsVendor"
    ),
    spec!(
        ServerManager,
        "ServerManager.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "ServerManager.exe",
        "ServerManager.exe",
        "Server Manager",
        1_617_920,
        "OsVendor"
    ),
    spec!(
        SevenZipSetup,
        "7z2408-x64.exe",
        r"C:\Users\{user}\AppData\Local\Temp",
        "Igor Pavlov",
        "7-Zip",
        "24.08",
        "7zipInstall",
        "7zipInstall.exe",
        "7-Zip Installer",
        1_637_856,
        "ThirdParty"
    ),
    spec!(
        Gpupdate,
        "gpupdate.exe",
        SYS32,
        MS,
        WIN,
        "OS",
        "gpupdate.exe",
        "GPUpdate.exe",
        "Microsoft® Windows Group Policy Update Utility",
        35_328,
        "OsVendor"
    ),
];

/// An executable as seen on one device.
#[derive(Clone, Debug)]
pub struct Image {
    pub file: &'static str,
    pub path: String,
    pub company: &'static str,
    pub product: &'static str,
    pub version: String,
    pub internal: &'static str,
    pub original: &'static str,
    pub description: &'static str,
    pub size: i64,
    pub signer: &'static str,
    pub sha1: String,
    pub sha256: String,
    pub md5: String,
}

/// A process instance: used as the initiating process of events and, when
/// it is created inside the covered range, reported by `ProcessCreated`.
#[derive(Clone, Debug)]
pub struct Proc {
    pub img: Img,
    pub pid: i64,
    pub cmd: String,
    pub created: i64,
    pub account: usize,
    pub integrity: &'static str,
    pub elevation: &'static str,
    pub logon_id: i64,
    pub session: i64,
    pub parent_img: Img,
    pub parent_pid: i64,
    pub parent_created: i64,
    pub unique_id: u64,
}

/// Long-running processes every device has (or not, by role).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum Sys {
    Kernel,
    Wininit,
    Winlogon,
    Services,
    Lsass,
    SvcDcom,
    SvcSchedule,
    SvcDns,
    SvcTime,
    SvcWu,
    SvcTelemetry,
    SvcRdp,
    SvcWas,
    MsMpEng,
    MsSense,
    SearchIndexer,
    GuestAgent,
    WaAppAgent,
    DnsServer,
    Sqlservr,
    W3wp,
    AgentListener,
}

/// Number of [`Sys`] variants.
pub const SYS_COUNT: usize = Sys::AgentListener as usize + 1;

/// Long-running processes of an interactive logon session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub enum UserProc {
    Userinit,
    Explorer,
    Browser,
    Outlook,
    Teams,
    OneDrive,
    AdminShell,
}

/// Number of [`UserProc`] variants.
pub const USER_PROC_COUNT: usize = UserProc::AdminShell as usize + 1;

/// One interactive session of a day.
#[derive(Clone, Debug)]
pub struct Session {
    pub logon: i64,
    pub end: i64,
    pub account: usize,
    pub logon_id: i64,
    pub elevated_logon_id: i64,
    pub remote_ip: Option<&'static str>,
    pub procs: Vec<Option<Proc>>,
}

impl Session {
    /// Whether the user is at the keyboard at `t` (session fully started).
    pub fn active(&self, t: i64) -> bool {
        t >= self.logon + mins(4) && t < self.end
    }

    /// A session process, when this session has it.
    pub fn proc(&self, p: UserProc) -> Option<&Proc> {
        self.procs.get(p as usize).and_then(Option::as_ref)
    }
}

/// A machine of the estate.
#[derive(Clone, Debug)]
pub struct Device {
    pub index: usize,
    pub name: &'static str,
    pub id: String,
    pub kind: Kind,
    pub role: Role,
    pub azure: bool,
    pub os_platform: &'static str,
    pub os_build: i64,
    pub os_rev: i64,
    pub os_version_info: &'static str,
    pub ip: &'static str,
    pub public_ip: &'static str,
    pub machine_group: &'static str,
    pub model: &'static str,
    pub vendor: &'static str,
    pub user: Option<usize>,
    pub browser: Browser,
    pub weight: f64,
    pub boot: i64,
    pub images: Vec<Image>,
    pub sys: Vec<Option<Proc>>,
    /// Interactive sessions, in time order.
    pub sessions: Vec<Session>,
}

impl Device {
    /// The image of `img` on this device.
    pub fn image(&self, img: Img) -> &Image {
        &self.images[img as usize]
    }

    /// A long-running system process, when the device runs it.
    pub fn sys(&self, s: Sys) -> Option<&Proc> {
        self.sys.get(s as usize).and_then(Option::as_ref)
    }

    /// The session whose user is active at `t`.
    pub fn active_session(&self, t: i64) -> Option<&Session> {
        self.sessions.iter().find(|s| s.active(t))
    }

    /// Whether this is an Azure VM (runs the guest agent).
    pub fn is_server(&self) -> bool {
        self.kind == Kind::Server
    }

    /// The Windows version string of OS binaries.
    pub fn os_version(&self) -> String {
        format!("10.0.{}.{}", self.os_build, self.os_rev)
    }
}

/// Devices and accounts.
pub struct World {
    pub devices: Vec<Device>,
    pub accounts: Vec<Account>,
}

impl World {
    /// The device called `name`.
    pub fn device(&self, name: &str) -> Option<&Device> {
        self.devices.iter().find(|d| d.name == name)
    }
}

struct DeviceSpec {
    name: &'static str,
    kind: Kind,
    role: Role,
    azure: bool,
    platform: &'static str,
    build: i64,
    rev: i64,
    version_info: &'static str,
    ip: &'static str,
    public_ip: &'static str,
    group: &'static str,
    model: &'static str,
    vendor: &'static str,
    user: Option<&'static str>,
    browser: Browser,
    weight: f64,
}

const DEVICE_SPECS: &[DeviceSpec] = &[
    DeviceSpec {
        name: "stefano-test",
        kind: Kind::Workstation,
        role: Role::Client,
        azure: true,
        platform: "Windows11",
        build: 22631,
        rev: 4751,
        version_info: "23H2",
        ip: "10.50.2.4",
        public_ip: "20.73.115.201",
        group: "Azure VMs",
        model: "Virtual Machine",
        vendor: "Microsoft Corporation",
        user: Some("stefano"),
        browser: Browser::Edge,
        weight: 1.0,
    },
    DeviceSpec {
        name: "anna-laptop",
        kind: Kind::Workstation,
        role: Role::Client,
        azure: false,
        platform: "Windows11",
        build: 22631,
        rev: 4751,
        version_info: "23H2",
        ip: "10.20.1.37",
        public_ip: "93.41.220.18",
        group: "Workstations",
        model: "Latitude 7440",
        vendor: "Dell Inc.",
        user: Some("anna"),
        browser: Browser::Edge,
        weight: 1.0,
    },
    DeviceSpec {
        name: "marco-laptop",
        kind: Kind::Workstation,
        role: Role::Client,
        azure: false,
        platform: "Windows11",
        build: 26100,
        rev: 2894,
        version_info: "24H2",
        ip: "10.20.1.52",
        public_ip: "93.41.220.18",
        group: "Workstations",
        model: "HP EliteBook 840 G10",
        vendor: "HP",
        user: Some("marco"),
        browser: Browser::Chrome,
        weight: 1.2,
    },
    DeviceSpec {
        name: "finance-ws01.contoso.local",
        kind: Kind::Workstation,
        role: Role::Client,
        azure: false,
        platform: "Windows10",
        build: 19045,
        rev: 5371,
        version_info: "22H2",
        ip: "10.20.1.101",
        public_ip: "93.41.220.18",
        group: "Finance",
        model: "OptiPlex 7010",
        vendor: "Dell Inc.",
        user: Some("giulia"),
        browser: Browser::Edge,
        weight: 0.9,
    },
    DeviceSpec {
        name: "finance-ws02.contoso.local",
        kind: Kind::Workstation,
        role: Role::Client,
        azure: false,
        platform: "Windows10",
        build: 19045,
        rev: 5371,
        version_info: "22H2",
        ip: "10.20.1.102",
        public_ip: "93.41.220.18",
        group: "Finance",
        model: "OptiPlex 7010",
        vendor: "Dell Inc.",
        user: Some("luca"),
        browser: Browser::Firefox,
        weight: 0.9,
    },
    DeviceSpec {
        name: "hr-ws03.contoso.local",
        kind: Kind::Workstation,
        role: Role::Client,
        azure: false,
        platform: "Windows11",
        build: 22631,
        rev: 4751,
        version_info: "23H2",
        ip: "10.20.1.115",
        public_ip: "93.41.220.18",
        group: "Workstations",
        model: "OptiPlex 7010",
        vendor: "Dell Inc.",
        user: Some("sara"),
        browser: Browser::Edge,
        weight: 0.8,
    },
    DeviceSpec {
        name: "reception-pc.contoso.local",
        kind: Kind::Workstation,
        role: Role::Client,
        azure: false,
        platform: "Windows10",
        build: 19045,
        rev: 5371,
        version_info: "22H2",
        ip: "10.20.1.140",
        public_ip: "93.41.220.18",
        group: "Workstations",
        model: "ThinkCentre M70q",
        vendor: "LENOVO",
        user: Some("frontdesk"),
        browser: Browser::Chrome,
        weight: 0.6,
    },
    DeviceSpec {
        name: "dc01.contoso.local",
        kind: Kind::Server,
        role: Role::DomainController,
        azure: false,
        platform: "WindowsServer2022",
        build: 20348,
        rev: 3091,
        version_info: "21H2",
        ip: "10.20.0.10",
        public_ip: "93.41.220.18",
        group: "Servers",
        model: "ProLiant DL360 Gen10",
        vendor: "HPE",
        user: None,
        browser: Browser::Edge,
        weight: 1.1,
    },
    DeviceSpec {
        name: "fileserver01.contoso.local",
        kind: Kind::Server,
        role: Role::FileServer,
        azure: false,
        platform: "WindowsServer2022",
        build: 20348,
        rev: 3091,
        version_info: "21H2",
        ip: "10.20.0.20",
        public_ip: "93.41.220.18",
        group: "Servers",
        model: "ProLiant DL380 Gen10",
        vendor: "HPE",
        user: None,
        browser: Browser::Edge,
        weight: 1.0,
    },
    DeviceSpec {
        name: "sql01.contoso.local",
        kind: Kind::Server,
        role: Role::Sql,
        azure: false,
        platform: "WindowsServer2019",
        build: 17763,
        rev: 6775,
        version_info: "1809",
        ip: "10.20.0.30",
        public_ip: "93.41.220.18",
        group: "Servers",
        model: "VMware Virtual Platform",
        vendor: "VMware, Inc.",
        user: None,
        browser: Browser::Edge,
        weight: 0.7,
    },
    DeviceSpec {
        name: "azvm-web01",
        kind: Kind::Server,
        role: Role::Web,
        azure: true,
        platform: "WindowsServer2022",
        build: 20348,
        rev: 3091,
        version_info: "21H2",
        ip: "10.50.1.4",
        public_ip: "20.73.112.45",
        group: "Azure VMs",
        model: "Virtual Machine",
        vendor: "Microsoft Corporation",
        user: None,
        browser: Browser::Edge,
        weight: 0.9,
    },
    DeviceSpec {
        name: "azvm-build02",
        kind: Kind::Server,
        role: Role::Build,
        azure: true,
        platform: "WindowsServer2022",
        build: 20348,
        rev: 3091,
        version_info: "21H2",
        ip: "10.50.1.5",
        public_ip: "51.124.60.17",
        group: "Azure VMs",
        model: "Virtual Machine",
        vendor: "Microsoft Corporation",
        user: None,
        browser: Browser::Edge,
        weight: 1.0,
    },
];

const USERS: &[(&str, u32)] = &[
    ("stefano", 1107),
    ("anna", 1112),
    ("marco", 1115),
    ("giulia", 1121),
    ("luca", 1122),
    ("sara", 1130),
    ("frontdesk", 1141),
    ("adm-marco", 1204),
    ("svc-sql", 1301),
    ("svc-build", 1302),
];

fn build_accounts() -> Vec<Account> {
    let mut accounts = vec![
        Account {
            domain: "nt authority",
            name: "system".into(),
            sid: "S-1-5-18".into(),
            upn: String::new(),
            object_id: String::new(),
            profile: String::new(),
        },
        Account {
            domain: "nt authority",
            name: "local service".into(),
            sid: "S-1-5-19".into(),
            upn: String::new(),
            object_id: String::new(),
            profile: String::new(),
        },
        Account {
            domain: "nt authority",
            name: "network service".into(),
            sid: "S-1-5-20".into(),
            upn: String::new(),
            object_id: String::new(),
            profile: String::new(),
        },
    ];
    for (name, rid) in USERS {
        accounts.push(Account {
            domain: "contoso",
            name: (*name).to_string(),
            sid: format!("{DOMAIN_SID}-{rid}"),
            upn: format!("{name}@contoso.com"),
            object_id: guid(hash_str(&format!("aad-object/{name}"))),
            profile: (*name).to_string(),
        });
    }
    accounts
}

/// Index of the named account.
pub fn account_index(accounts: &[Account], name: &str) -> usize {
    accounts
        .iter()
        .position(|a| a.name == name)
        .unwrap_or(SYSTEM)
}

fn build_images(spec: &DeviceSpec, profile: &str) -> Vec<Image> {
    let os_version = format!("10.0.{}.{}", spec.build, spec.rev);
    let mut images = Vec::with_capacity(IMG_COUNT);
    for (i, s) in SPECS.iter().enumerate() {
        debug_assert_eq!(s.img as usize, i);
        let dir = s.dir.replace("{user}", profile);
        let path = format!("{dir}\\{}", s.file);
        let version = if s.version == "OS" {
            os_version.clone()
        } else {
            s.version.to_string()
        };
        // Same binary (path and version) => same hashes on every device.
        let key = format!("{}|{}", s.dir.to_ascii_lowercase(), version);
        let (sha1, sha256, md5) = file_hashes(&format!("{key}|{}", s.file));
        let size = if s.version == "OS" {
            s.size + (hash_str(&key) % 4096) as i64 * 8
        } else {
            s.size
        };
        images.push(Image {
            file: s.file,
            path,
            company: s.company,
            product: s.product,
            version,
            internal: s.internal,
            original: s.original,
            description: s.description,
            size,
            signer: s.signer,
            sha1,
            sha256,
            md5,
        });
    }
    images
}

/// Makes a process instance.
#[allow(clippy::too_many_arguments)]
pub fn new_proc(
    rng: &mut Rng,
    img: Img,
    cmd: String,
    created: i64,
    account: usize,
    parent: &Proc,
    integrity: &'static str,
    elevation: &'static str,
    logon_id: i64,
    session: i64,
) -> Proc {
    Proc {
        img,
        pid: rng.pid(),
        cmd,
        created,
        account,
        integrity,
        elevation,
        logon_id,
        session,
        parent_img: parent.img,
        parent_pid: parent.pid,
        parent_created: parent.created,
        unique_id: rng.range(1_000_000_000_000_000, 9_999_999_999_999_999) as u64,
    }
}

/// A child of a system process running as SYSTEM in session 0.
pub fn system_child(rng: &mut Rng, img: Img, cmd: String, created: i64, parent: &Proc) -> Proc {
    new_proc(
        rng,
        img,
        cmd,
        created,
        parent.account,
        parent,
        parent.integrity,
        "TokenElevationTypeDefault",
        parent.logon_id,
        0,
    )
}

fn sys_proc(
    rng: &mut Rng,
    img: Img,
    cmd: &str,
    created: i64,
    account: usize,
    parent: &Proc,
) -> Proc {
    let logon_id = match account {
        LOCAL_SERVICE => 997,
        NETWORK_SERVICE => 996,
        _ => 999,
    };
    new_proc(
        rng,
        img,
        cmd.to_string(),
        created,
        account,
        parent,
        "System",
        "TokenElevationTypeDefault",
        logon_id,
        0,
    )
}

fn build_sys(
    rng: &mut Rng,
    dev: &DeviceSpec,
    boot: i64,
    accounts: &[Account],
) -> Vec<Option<Proc>> {
    let mut sys: Vec<Option<Proc>> = vec![None; SYS_COUNT];
    let kernel = Proc {
        img: Img::Kernel,
        pid: 4,
        cmd: String::new(),
        created: boot,
        account: SYSTEM,
        integrity: "System",
        elevation: "TokenElevationTypeDefault",
        logon_id: 999,
        session: 0,
        parent_img: Img::Kernel,
        parent_pid: 0,
        parent_created: boot,
        unique_id: rng.range(1_000_000_000_000_000, 9_999_999_999_999_999) as u64,
    };
    let wininit = sys_proc(
        rng,
        Img::Wininit,
        "wininit.exe",
        boot + secs(4),
        SYSTEM,
        &kernel,
    );
    let winlogon = sys_proc(
        rng,
        Img::Winlogon,
        "winlogon.exe",
        boot + secs(4),
        SYSTEM,
        &kernel,
    );
    let services = sys_proc(
        rng,
        Img::Services,
        r"C:\Windows\system32\services.exe",
        boot + secs(5),
        SYSTEM,
        &wininit,
    );
    let lsass = sys_proc(
        rng,
        Img::Lsass,
        r"C:\Windows\system32\lsass.exe",
        boot + secs(5),
        SYSTEM,
        &wininit,
    );
    let t = boot + secs(6);
    let svc = |rng: &mut Rng, cmd: &str, acct: usize, dt: i64| {
        sys_proc(rng, Img::Svchost, cmd, t + dt, acct, &services)
    };
    sys[Sys::SvcDcom as usize] = Some(svc(
        rng,
        r"C:\Windows\system32\svchost.exe -k DcomLaunch -p",
        SYSTEM,
        ms(120),
    ));
    sys[Sys::SvcSchedule as usize] = Some(svc(
        rng,
        r"C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule",
        SYSTEM,
        ms(2300),
    ));
    sys[Sys::SvcDns as usize] = Some(svc(
        rng,
        r"C:\Windows\system32\svchost.exe -k NetworkService -p -s Dnscache",
        NETWORK_SERVICE,
        ms(1900),
    ));
    sys[Sys::SvcTime as usize] = Some(svc(
        rng,
        r"C:\Windows\system32\svchost.exe -k LocalService -s W32Time",
        LOCAL_SERVICE,
        secs(9),
    ));
    sys[Sys::SvcWu as usize] = Some(svc(
        rng,
        r"C:\Windows\system32\svchost.exe -k netsvcs -p -s wuauserv",
        SYSTEM,
        secs(41),
    ));
    sys[Sys::SvcTelemetry as usize] = Some(svc(
        rng,
        r"C:\Windows\System32\svchost.exe -k utcsvc -p",
        SYSTEM,
        secs(7),
    ));
    if dev.kind == Kind::Server || dev.azure {
        sys[Sys::SvcRdp as usize] = Some(svc(
            rng,
            r"C:\Windows\System32\svchost.exe -k NetworkService -s TermService",
            NETWORK_SERVICE,
            secs(3),
        ));
    }
    sys[Sys::MsMpEng as usize] = Some(sys_proc(
        rng,
        Img::MsMpEng,
        &format!("\"{DEFENDER}\\MsMpEng.exe\""),
        t + secs(2),
        SYSTEM,
        &services,
    ));
    sys[Sys::MsSense as usize] = Some(sys_proc(
        rng,
        Img::MsSense,
        "\"C:\\Program Files\\Windows Defender Advanced Threat Protection\\MsSense.exe\"",
        t + secs(3),
        SYSTEM,
        &services,
    ));
    if dev.kind == Kind::Workstation {
        sys[Sys::SearchIndexer as usize] = Some(sys_proc(
            rng,
            Img::SearchIndexer,
            r"C:\Windows\system32\SearchIndexer.exe /Embedding",
            t + secs(30),
            SYSTEM,
            &services,
        ));
    }
    if dev.azure {
        sys[Sys::GuestAgent as usize] = Some(sys_proc(
            rng,
            Img::GuestAgent,
            &format!("{GUEST_AGENT}\\WindowsAzureGuestAgent.exe"),
            t + secs(12),
            SYSTEM,
            &services,
        ));
        sys[Sys::WaAppAgent as usize] = Some(sys_proc(
            rng,
            Img::WaAppAgent,
            r"C:\WindowsAzure\Packages\WaAppAgent.exe",
            t + secs(11),
            SYSTEM,
            &services,
        ));
    }
    match dev.role {
        Role::DomainController => {
            sys[Sys::DnsServer as usize] = Some(sys_proc(
                rng,
                Img::Dns,
                r"C:\Windows\system32\dns.exe",
                t + secs(8),
                SYSTEM,
                &services,
            ));
        }
        Role::Sql => {
            let acct = account_index(accounts, "svc-sql");
            let mut p = sys_proc(rng, Img::Sqlservr, "\"C:\\Program Files\\Microsoft SQL Server\\MSSQL16.MSSQLSERVER\\MSSQL\\Binn\\sqlservr.exe\" -sMSSQLSERVER", t + secs(20), acct, &services);
            p.integrity = "High";
            p.logon_id = 0x3_b1c4;
            sys[Sys::Sqlservr as usize] = Some(p);
        }
        Role::Web => {
            let was = svc(
                rng,
                r"C:\Windows\system32\svchost.exe -k iissvcs",
                SYSTEM,
                secs(14),
            );
            let mut w3 = sys_proc(
                rng,
                Img::W3wp,
                r#"c:\windows\system32\inetsrv\w3wp.exe -ap "ContosoPortal" -v "v4.0" -l "webengine4.dll" -a \\.\pipe\iisipm5c1e6b2a-3a4f-4d7e-9f7e-2b9e6f0f1c3d -h "C:\inetpub\temp\apppools\ContosoPortal\ContosoPortal.config" -w "" -m 0 -t 20 -ta 0"#,
                boot + mins(47),
                NETWORK_SERVICE,
                &was,
            );
            w3.integrity = "High";
            sys[Sys::SvcWas as usize] = Some(was);
            sys[Sys::W3wp as usize] = Some(w3);
        }
        Role::Build => {
            let acct = account_index(accounts, "svc-build");
            let mut p = sys_proc(
                rng,
                Img::AgentListener,
                r#""C:\agent\bin\Agent.Listener.exe" run --startuptype service"#,
                t + secs(25),
                acct,
                &services,
            );
            p.integrity = "High";
            p.logon_id = 0x4_2e10;
            sys[Sys::AgentListener as usize] = Some(p);
        }
        Role::FileServer | Role::Client => {}
    }
    sys[Sys::Kernel as usize] = Some(kernel);
    sys[Sys::Wininit as usize] = Some(wininit);
    sys[Sys::Winlogon as usize] = Some(winlogon);
    sys[Sys::Services as usize] = Some(services);
    sys[Sys::Lsass as usize] = Some(lsass);
    sys
}

fn day_start(day: i64) -> i64 {
    range_start() + day * TICKS_PER_DAY
}

/// Builds the interactive sessions of a device.
fn build_sessions(
    rng: &mut Rng,
    spec: &DeviceSpec,
    sys: &[Option<Proc>],
    accounts: &[Account],
) -> Vec<Session> {
    let mut out = Vec::new();
    let Some(winlogon) = sys[Sys::Winlogon as usize].as_ref() else {
        return out;
    };
    for day in 0..DAYS {
        let d0 = day_start(day);
        let weekend = day >= 5;
        let (account, logon, end, remote) = match spec.user {
            Some(user) => {
                if weekend && user != "marco" {
                    continue;
                }
                let acct = account_index(accounts, user);
                let (start_h, len_h) = match (user, weekend) {
                    (_, true) => (9.5, 1.6),
                    ("stefano", _) => (8.3, 9.6),
                    ("frontdesk", _) => (7.0, 9.5),
                    ("marco", _) => (7.6, 9.4),
                    _ => (7.2, 9.0),
                };
                let logon = d0 + (start_h * TICKS_PER_HOUR as f64) as i64 + rng.range(0, mins(50));
                let mut end =
                    logon + (len_h * TICKS_PER_HOUR as f64) as i64 + rng.range(0, mins(40));
                if user == "stefano" && day == 3 {
                    // Working late on the day of the incident.
                    end = end.max(crate::world::incident_time() + mins(95));
                }
                let remote = if spec.azure {
                    Some("93.41.220.18")
                } else {
                    None
                };
                (acct, logon, end, remote)
            }
            None => {
                // Administrators log on to servers now and then.
                let admin = matches!(spec.role, Role::DomainController | Role::FileServer)
                    && !weekend
                    && (hash_str(spec.name) + day as u64) & 1 == 0;
                if !admin {
                    continue;
                }
                let acct = account_index(accounts, "adm-marco");
                let logon = d0 + 9 * TICKS_PER_HOUR + rng.range(0, 3 * TICKS_PER_HOUR);
                (
                    acct,
                    logon,
                    logon + mins(35) + rng.range(0, mins(60)),
                    Some("10.20.1.52"),
                )
            }
        };
        let logon_id = rng.range(0x1_0000, 0xff_ffff);
        let elevated_logon_id = logon_id + rng.range(1, 40);
        let mut procs: Vec<Option<Proc>> = vec![None; USER_PROC_COUNT];
        let user = |rng: &mut Rng, img, cmd: String, at: i64, parent: &Proc| {
            new_proc(
                rng,
                img,
                cmd,
                at,
                account,
                parent,
                "Medium",
                "TokenElevationTypeLimited",
                logon_id,
                if remote.is_some() { 2 } else { 1 },
            )
        };
        let profile = accounts[account].profile.clone();
        let delay = rng_ms(rng, 900, 2500);
        let userinit = user(
            rng,
            Img::Userinit,
            r"C:\Windows\system32\userinit.exe".into(),
            logon + ms(delay),
            winlogon,
        );
        let delay = rng_ms(rng, 300, 900);
        let explorer = user(
            rng,
            Img::Explorer,
            r"C:\Windows\Explorer.EXE".into(),
            userinit.created + ms(delay),
            &userinit,
        );
        let t = explorer.created;
        if spec.kind == Kind::Workstation {
            let (img, cmd) = match spec.browser {
                Browser::Edge => (Img::Msedge, "\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --profile-directory=Default".to_string()),
                Browser::Chrome => (Img::Chrome, "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\"".to_string()),
                Browser::Firefox => (Img::Firefox, "\"C:\\Program Files\\Mozilla Firefox\\firefox.exe\"".to_string()),
            };
            let delay = rng.range(40, 400);
            procs[UserProc::Browser as usize] =
                Some(user(rng, img, cmd, t + secs(delay), &explorer));
            let delay = rng.range(5, 20);
            procs[UserProc::OneDrive as usize] = Some(user(rng, Img::OneDrive, format!("\"C:\\Users\\{profile}\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe\" /background"), t + secs(delay), &explorer));
            let delay = rng.range(8, 30);
            procs[UserProc::Teams as usize] = Some(user(rng, Img::Teams, "\"C:\\Program Files\\WindowsApps\\MSTeams_25007.214.3377.8834_x64__8wekyb3d8bbwe\\ms-teams.exe\" msteams:system-initiated".to_string(), t + secs(delay), &explorer));
            if !weekend {
                let delay = rng.range(60, 900);
                procs[UserProc::Outlook as usize] = Some(user(
                    rng,
                    Img::Outlook,
                    "\"C:\\Program Files\\Microsoft Office\\Root\\Office16\\OUTLOOK.EXE\" "
                        .to_string(),
                    t + secs(delay),
                    &explorer,
                ));
            }
        } else {
            let delay = rng.range(3, 9);
            let mut shell = user(
                rng,
                Img::ServerManager,
                r#""C:\Windows\system32\ServerManager.exe""#.into(),
                t + secs(delay),
                &explorer,
            );
            shell.integrity = "High";
            shell.elevation = "TokenElevationTypeFull";
            shell.logon_id = elevated_logon_id;
            procs[UserProc::AdminShell as usize] = Some(shell);
        }
        procs[UserProc::Userinit as usize] = Some(userinit);
        procs[UserProc::Explorer as usize] = Some(explorer);
        out.push(Session {
            logon,
            end,
            account,
            logon_id,
            elevated_logon_id,
            remote_ip: remote,
            procs,
        });
    }
    out
}

fn rng_ms(rng: &mut Rng, lo: i64, hi: i64) -> i64 {
    rng.range(lo, hi)
}

/// Builds the estate for `seed`.
pub fn build(seed: u64) -> World {
    let accounts = build_accounts();
    let mut devices = Vec::with_capacity(DEVICE_SPECS.len());
    for (index, spec) in DEVICE_SPECS.iter().enumerate() {
        let mut rng = Rng::derive(seed, spec.name);
        let profile = spec.user.unwrap_or("adm-marco");
        let images = build_images(spec, profile);
        // Servers and VMs were last restarted after the January patches; the
        // laptops and desktops boot every morning but their system processes
        // are not interesting, so they are treated the same way.
        let boot = days_from_civil(2026, 1, 14) * TICKS_PER_DAY
            + rng.range(TICKS_PER_HOUR, 40 * TICKS_PER_HOUR)
            + rng.range(0, TICKS_PER_SECOND);
        let sys = build_sys(&mut rng, spec, boot, &accounts);
        let sessions = build_sessions(&mut rng, spec, &sys, &accounts);
        devices.push(Device {
            index,
            name: spec.name,
            id: hex(hash_str(&format!("device-id/{}", spec.name)), 40),
            kind: spec.kind,
            role: spec.role,
            azure: spec.azure,
            os_platform: spec.platform,
            os_build: spec.build,
            os_rev: spec.rev,
            os_version_info: spec.version_info,
            ip: spec.ip,
            public_ip: spec.public_ip,
            machine_group: spec.group,
            model: spec.model,
            vendor: spec.vendor,
            user: spec.user.map(|u| account_index(&accounts, u)),
            browser: spec.browser,
            weight: spec.weight,
            boot,
            images,
            sys,
            sessions,
        });
    }
    World { devices, accounts }
}
