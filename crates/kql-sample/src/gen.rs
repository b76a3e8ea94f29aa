//! Spreads a table's rows over devices and hours and writes them in time order.

use std::io::Write;

use kql_common::time::TICKS_PER_HOUR;

use crate::rng::Rng;
use crate::row::{Rec, RowBuf, TableWriter};
use crate::world::{quiet_window, range_end, range_start, Device, Kind, World};
use crate::{incident, schema, tables, Config, Error, Table};

/// Everything a background template needs.
pub struct Bg<'w> {
    pub world: &'w World,
    pub rng: Rng,
    pub row: RowBuf,
}

/// Relative amount of background activity of `dev` in the hour starting at `t`.
fn activity(table: Table, dev: &Device, t: i64) -> f64 {
    let mid = t + TICKS_PER_HOUR / 2;
    let user = dev.sessions.iter().any(|s| mid >= s.logon && mid < s.end);
    let hour = (t.rem_euclid(24 * TICKS_PER_HOUR) / TICKS_PER_HOUR) as u32;
    let office_hours = (7..18).contains(&hour);
    let base = match dev.kind {
        Kind::Workstation if dev.azure => 0.5,
        // Laptops and desktops mostly sleep outside the working day.
        Kind::Workstation => {
            if user {
                0.5
            } else {
                0.06
            }
        }
        Kind::Server => {
            if office_hours {
                1.1
            } else {
                0.6
            }
        }
    };
    let role_load = match (dev.role, table) {
        (crate::world::Role::Build, Table::DeviceProcessEvents | Table::DeviceFileEvents) => {
            if office_hours {
                1.6
            } else {
                0.3
            }
        }
        (crate::world::Role::FileServer, Table::DeviceFileEvents) => {
            if office_hours {
                2.0
            } else {
                0.2
            }
        }
        (
            crate::world::Role::DomainController | crate::world::Role::Web,
            Table::DeviceNetworkEvents,
        ) => {
            if office_hours {
                1.5
            } else {
                0.5
            }
        }
        _ => 0.0,
    };
    let session = if user {
        match dev.kind {
            Kind::Workstation => 2.4,
            Kind::Server => 1.0,
        }
    } else {
        0.0
    };
    dev.weight * (base + role_load + session)
}

/// Writes `table` for `world` to `out`.
pub fn write_table<W: Write>(
    world: &World,
    config: &Config,
    table: Table,
    out: W,
) -> Result<u64, Error> {
    let schema = schema::table(table.name())?;
    let mut writer = TableWriter::new(schema, out)?;
    let mut bg = Bg {
        world,
        rng: Rng::derive(config.seed, table.name()),
        row: RowBuf::new(schema),
    };
    // Fixed rows: the incident and scheduled activity (logons, VM agent runs,
    // device inventory), not scaled with the row count.
    let mut fixed: Vec<Rec> = match table {
        Table::DeviceProcessEvents => incident::process_rows(world, &mut bg.row),
        Table::DeviceFileEvents => incident::file_rows(world, &mut bg.row),
        Table::DeviceNetworkEvents => {
            let mut v = incident::network_rows(world, &mut bg.row);
            v.extend(incident::fileserver_rows(world, &mut bg.row));
            v
        }
        Table::DeviceInfo => Vec::new(),
    };
    fixed.extend(tables::scheduled(table, &mut bg));
    for (i, r) in fixed.iter_mut().enumerate() {
        r.seq = i as u64;
    }
    fixed.sort_by_key(|r| (r.ticks, r.seq));

    let target = match table {
        Table::DeviceInfo => 0,
        _ => config.rows.unwrap_or_else(|| table.default_rows()),
    };
    let budget = target.saturating_sub(fixed.len() as u64);

    // Share the budget over (hour, device) cells by activity, rounding
    // cumulatively so the total is exact.
    let start = range_start();
    let hours = ((range_end() - start) / TICKS_PER_HOUR) as usize;
    let ndev = world.devices.len();
    let mut weights = Vec::with_capacity(hours * ndev);
    for h in 0..hours {
        let t = start + h as i64 * TICKS_PER_HOUR;
        for dev in &world.devices {
            weights.push(activity(table, dev, t));
        }
    }
    let total: f64 = weights.iter().sum();
    let mut cum = 0.0;
    let mut assigned = 0u64;
    let mut fixed_iter = fixed.into_iter().peekable();
    let mut slice: Vec<Rec> = Vec::new();
    let (quiet_lo, quiet_hi) = quiet_window();
    for h in 0..hours {
        let t0 = start + h as i64 * TICKS_PER_HOUR;
        let t1 = t0 + TICKS_PER_HOUR;
        slice.clear();
        while let Some(r) = fixed_iter.next_if(|r| r.ticks < t1) {
            slice.push(r);
        }
        for (d, dev) in world.devices.iter().enumerate() {
            cum += weights[h * ndev + d];
            let upto = if total > 0.0 {
                ((cum / total) * budget as f64).round() as u64
            } else {
                0
            };
            let n = upto.saturating_sub(assigned);
            assigned = upto.max(assigned);
            // Background on the incident machine avoids the incident window.
            let (lo, hi) = if dev.name == incident::DEVICE {
                (quiet_lo.clamp(t0, t1), quiet_hi.clamp(t0, t1))
            } else {
                (t0, t0)
            };
            let span = TICKS_PER_HOUR - (hi - lo);
            for _ in 0..n {
                let mut t = t0 + bg.rng.range(0, span - 1);
                if t >= lo {
                    t += hi - lo;
                }
                let mut rec = tables::background(table, &mut bg, dev, t);
                rec.seq = u64::MAX / 2 + bg.rng.next_u64() % (u64::MAX / 4);
                slice.push(rec);
            }
        }
        slice.sort_by_key(|r| (r.ticks, r.seq));
        for r in &slice {
            writer.write(r)?;
        }
    }
    for r in fixed_iter {
        writer.write(&r)?;
    }
    writer.finish()
}
