//! The per-action context: what one action on one service acts with,
//! prepared before the first resource acts and the same for every kind.
//! What the action touched is another record (`touched::Touched`).

use crate::docker::argv::CgroupDriver;
use crate::docker::current::Current;
use crate::docker::Engine;
use crate::error::{Error, Result};
use crate::logger::Logger;
use crate::model::{Container, Service};
use crate::secret::Secret;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

/// What one action on one service acts with.
pub struct Context<'a> {
    pub svc: &'a Service,
    /// The engine the service's containers run on (its private daemon's,
    /// or the host's).
    pub engine: Engine,
    pub log: &'a Logger,
    pub dry_run: bool,
    /// A dry run on a private daemon that does not run: nothing is asked
    /// of it, and it holds nothing.
    pub offline: bool,
    /// `deploy --force`: a container created from another config (its
    /// `com.opensvc.config` label) is recreated rather than started.
    pub converge: bool,
    /// A provision (or a deploy's): a disk creates its file, an fs
    /// formats a device that has no filesystem.
    pub provision: bool,
    /// A purge: the data the resources hold goes too (a disk's file, a
    /// volume).
    pub purge: bool,
    /// The action's `--force`: a volume group another node's tag is on
    /// is taken anyway.
    pub force: bool,
    /// om's trees, where the service's state is kept (a disk's record
    /// that om created its file); `None`: no record is kept or read.
    pub roots: Option<crate::paths::Roots>,
    /// By rid: the variables a container takes from secrets and configs
    /// (`docker run`'s environment), read before anything starts.
    env: HashMap<String, Vec<(String, Secret)>>,
    /// By rid: the `docker --config` directory of a container's registry
    /// credentials (its `pull` and `run`).
    creds: HashMap<String, PathBuf>,
    /// The engine's cgroup driver, asked once per action.
    driver: OnceLock<Result<CgroupDriver>>,
    /// Whether each image asked of the engine is present: each distinct
    /// image is inspected once per action.
    images: Mutex<HashMap<String, bool>>,
}

impl<'a> Context<'a> {
    pub fn new(svc: &'a Service, engine: Engine, log: &'a Logger, dry_run: bool) -> Context<'a> {
        Context {
            svc,
            engine,
            log,
            dry_run,
            offline: false,
            converge: false,
            provision: false,
            purge: false,
            force: false,
            roots: None,
            env: HashMap::new(),
            creds: HashMap::new(),
            driver: OnceLock::new(),
            images: Mutex::default(),
        }
    }

    /// What the containers take from secrets and configs, and where their
    /// registry credentials are (see `objects::env::prepare`).
    pub fn use_prepared(&mut self, p: crate::objects::env::Prepared) {
        self.env = p.env;
        self.creds = p.creds;
    }

    /// The variables `rid`'s container takes from secrets and configs.
    pub fn env_of(&self, rid: &str) -> &[(String, Secret)] {
        self.env.get(rid).map(Vec::as_slice).unwrap_or_default()
    }

    /// The engine for `c`'s `docker pull` and `docker run`: with its
    /// registry credentials (`docker --config`), when it has some. No
    /// other command of it, and no other resource, sees them.
    pub fn engine_with_creds(&self, c: &Container) -> Engine {
        match self.creds.get(c.head.rid.as_str()) {
            Some(dir) => self.engine.with_config(dir),
            None => self.engine.clone(),
        }
    }

    /// What the engine holds for `containers` (see `Current::query`).
    pub fn current(&self, containers: &[&Container]) -> Result<Current> {
        if self.offline {
            return Ok(Current::from_infos(Vec::new()));
        }
        Current::query(&self.engine, containers)
    }

    /// The engine's cgroup driver, asked once (its failure too).
    pub fn driver(&self) -> Result<CgroupDriver> {
        if self.offline {
            // dockerd's own default, which a private daemon runs with
            return Ok(CgroupDriver::Cgroupfs);
        }
        match self.driver.get_or_init(|| self.engine.cgroup_driver()) {
            Ok(d) => Ok(*d),
            Err(Error::Engine { call, line }) => Err(Error::engine(call, line.clone())),
            Err(e) => Err(Error::Failed(e.to_string())),
        }
    }

    /// Whether the engine has `image`, when this action asked already.
    pub fn image_known(&self, image: &str) -> Option<bool> {
        self.images.lock().ok().and_then(|m| m.get(image).copied())
    }

    /// Whether each image asked of the engine, or pulled, is present.
    pub fn note_images(&self, found: HashMap<String, bool>) {
        if let Ok(mut m) = self.images.lock() {
            m.extend(found);
        }
    }
}
