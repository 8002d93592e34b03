//! TEMPORARY stand-in until the real config module lands.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: Vec<String>,
    pub port: u16,
    pub databases: usize,
    pub hz: u32,
    pub maxclients: usize,
    pub timeout: u64,
    pub tcp_keepalive: u64,
    pub requirepass: String,
    pub maxmemory: u64,
    pub maxmemory_policy: String,
    pub enable_debug_command: String,
    pub proto_max_bulk_len: u64,
    pub logfile: String,
    pub loglevel: String,
}
impl Default for Config {
    fn default() -> Self {
        Config {
            bind: vec!["127.0.0.1".into(), "-::1".into()],
            port: 6379,
            databases: 16,
            hz: 10,
            maxclients: 10000,
            timeout: 0,
            tcp_keepalive: 300,
            requirepass: String::new(),
            maxmemory: 0,
            maxmemory_policy: "noeviction".into(),
            enable_debug_command: "no".into(),
            proto_max_bulk_len: 512 * 1024 * 1024,
            logfile: String::new(),
            loglevel: "notice".into(),
        }
    }
}
#[derive(Debug)]
pub struct ConfigError(pub String);
impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl Config {
    pub fn rewrite(&self, _path: &str) -> std::io::Result<()> {
        Ok(())
    }
    pub fn from_args(args: &[String]) -> Result<Config, ConfigError> {
        let mut c = Config::default();
        let mut i = 0;
        while i + 1 < args.len() {
            match args[i].as_str() {
                "--port" => c.port = args[i + 1].parse().map_err(|_| ConfigError("bad port".into()))?,
                _ => {}
            }
            i += 2;
        }
        Ok(c)
    }
    pub fn get(&self, _patterns: &[&[u8]], _m: fn(&[u8], &[u8], bool) -> bool) -> Vec<(String, Vec<u8>)> {
        Vec::new()
    }
    pub fn set(&mut self, _pairs: &[(&[u8], &[u8])]) -> Result<Vec<&'static str>, String> {
        Err("ERR not yet".into())
    }
}
