//! Helpers that fill the column groups shared by several tables.

use crate::rng::Rng;
use crate::row::RowBuf;
use crate::world::{Device, Img, Proc, World};

/// `DeviceId`, `DeviceName` and a `ReportId`.
pub fn device(row: &mut RowBuf, dev: &Device, rng: &mut Rng) {
    row.s("DeviceId", &dev.id);
    row.s("DeviceName", dev.name);
    row.n("ReportId", rng.range(1_000, 250_000));
}

/// The remote desktop client of a process running in an RDP session.
fn remote_of<'d>(dev: &'d Device, p: &Proc) -> Option<(&'static str, &'d str)> {
    if p.session < 2 {
        return None;
    }
    let s = dev
        .sessions
        .iter()
        .find(|s| s.logon_id == p.logon_id || s.elevated_logon_id == p.logon_id)?;
    let ip = s.remote_ip?;
    let client = if ip.starts_with("10.") {
        "MARCO-LAPTOP"
    } else {
        "STEFANO-PC"
    };
    Some((client, ip))
}

/// Every `InitiatingProcess*` column from `p`.
pub fn initiating(row: &mut RowBuf, world: &World, dev: &Device, p: &Proc) {
    let img = dev.image(p.img);
    let acct = &world.accounts[p.account];
    row.s("InitiatingProcessAccountDomain", acct.domain);
    row.s("InitiatingProcessAccountName", &acct.name);
    row.s("InitiatingProcessAccountSid", &acct.sid);
    row.s("InitiatingProcessAccountUpn", &acct.upn);
    row.s("InitiatingProcessAccountObjectId", &acct.object_id);
    row.n("InitiatingProcessLogonId", p.logon_id);
    row.s("InitiatingProcessIntegrityLevel", p.integrity);
    row.s("InitiatingProcessTokenElevation", p.elevation);
    row.s("InitiatingProcessSHA1", &img.sha1);
    row.s("InitiatingProcessSHA256", &img.sha256);
    row.s("InitiatingProcessMD5", &img.md5);
    row.s("InitiatingProcessFileName", img.file);
    row.n("InitiatingProcessFileSize", img.size);
    row.s("InitiatingProcessVersionInfoCompanyName", img.company);
    row.s("InitiatingProcessVersionInfoProductName", img.product);
    row.s("InitiatingProcessVersionInfoProductVersion", &img.version);
    row.s("InitiatingProcessVersionInfoInternalFileName", img.internal);
    row.s("InitiatingProcessVersionInfoOriginalFileName", img.original);
    row.s(
        "InitiatingProcessVersionInfoFileDescription",
        img.description,
    );
    row.n("InitiatingProcessId", p.pid);
    row.s("InitiatingProcessCommandLine", &p.cmd);
    row.dt("InitiatingProcessCreationTime", p.created);
    row.s("InitiatingProcessFolderPath", &img.path);
    row.n("InitiatingProcessParentId", p.parent_pid);
    row.s(
        "InitiatingProcessParentFileName",
        dev.image(p.parent_img).file,
    );
    row.dt("InitiatingProcessParentCreationTime", p.parent_created);
    row.s("InitiatingProcessSignerType", img.signer);
    row.s("InitiatingProcessSignatureStatus", "Valid");
    row.n("InitiatingProcessSessionId", p.session);
    row.s("InitiatingProcessUniqueId", &p.unique_id.to_string());
    match remote_of(dev, p) {
        Some((client, ip)) => {
            row.b("IsInitiatingProcessRemoteSession", true);
            row.s("InitiatingProcessRemoteSessionDeviceName", client);
            row.s("InitiatingProcessRemoteSessionIP", ip);
        }
        None => row.b("IsInitiatingProcessRemoteSession", false),
    }
}

/// The created-process columns of `DeviceProcessEvents` (file, version info,
/// account, ids) from `p`.
pub fn created(row: &mut RowBuf, world: &World, dev: &Device, p: &Proc) {
    let img = dev.image(p.img);
    let acct = &world.accounts[p.account];
    row.s("FileName", img.file);
    row.s("FolderPath", &img.path);
    row.s("SHA1", &img.sha1);
    row.s("SHA256", &img.sha256);
    row.s("MD5", &img.md5);
    row.n("FileSize", img.size);
    row.s("ProcessVersionInfoCompanyName", img.company);
    row.s("ProcessVersionInfoProductName", img.product);
    row.s("ProcessVersionInfoProductVersion", &img.version);
    row.s("ProcessVersionInfoInternalFileName", img.internal);
    row.s("ProcessVersionInfoOriginalFileName", img.original);
    row.s("ProcessVersionInfoFileDescription", img.description);
    row.n("ProcessId", p.pid);
    row.s("ProcessCommandLine", &p.cmd);
    row.s("ProcessIntegrityLevel", p.integrity);
    row.s("ProcessTokenElevation", p.elevation);
    row.dt("ProcessCreationTime", p.created);
    row.s("AccountDomain", acct.domain);
    row.s("AccountName", &acct.name);
    row.s("AccountSid", &acct.sid);
    row.s("AccountUpn", &acct.upn);
    row.s("AccountObjectId", &acct.object_id);
    row.n("LogonId", p.logon_id);
    row.n("CreatedProcessSessionId", p.session);
    row.s("ProcessUniqueId", &p.unique_id.to_string());
    match remote_of(dev, p) {
        Some((client, ip)) => {
            row.b("IsProcessRemoteSession", true);
            row.s("ProcessRemoteSessionDeviceName", client);
            row.s("ProcessRemoteSessionIP", ip);
        }
        None => row.b("IsProcessRemoteSession", false),
    }
}

/// A complete `ProcessCreated` row for `child`, started by `parent`.
pub fn process_created(
    row: &mut RowBuf,
    world: &World,
    dev: &Device,
    rng: &mut Rng,
    parent: &Proc,
    child: &Proc,
) -> crate::row::Rec {
    device(row, dev, rng);
    row.s("ActionType", "ProcessCreated");
    created(row, world, dev, child);
    initiating(row, world, dev, parent);
    row.finish(child.created)
}

/// The IP type MDE reports for an address.
pub fn ip_type(ip: &str) -> &'static str {
    if ip.starts_with("10.") || ip.starts_with("192.168.") || ip.starts_with("172.16.") {
        "Private"
    } else if ip.starts_with("127.") || ip == "::1" {
        "Loopback"
    } else if ip.starts_with("169.254.") {
        "LinkLocal"
    } else if ip.starts_with("224.") || ip.starts_with("239.") || ip.starts_with("ff02") {
        "Multicast"
    } else if ip == "0.0.0.0" || ip == "::" {
        "Reserved"
    } else {
        "Public"
    }
}

/// Columns of a network connection.
#[allow(clippy::too_many_arguments)]
pub fn connection(
    row: &mut RowBuf,
    local_ip: &str,
    local_port: i64,
    remote_ip: &str,
    remote_port: i64,
    url: &str,
    protocol: &str,
) {
    row.s("LocalIP", local_ip);
    row.n("LocalPort", local_port);
    row.s("RemoteIP", remote_ip);
    row.n("RemotePort", remote_port);
    row.s("RemoteUrl", url);
    row.s("Protocol", protocol);
    row.s("LocalIPType", ip_type(local_ip));
    row.s("RemoteIPType", ip_type(remote_ip));
}

/// Whether `img` is one of the user-facing applications.
pub fn is_browser(img: Img) -> bool {
    matches!(img, Img::Msedge | Img::Chrome | Img::Firefox)
}
