//! The SSH server (russh): host keys, the modern and legacy algorithm sets, authentication
//! (password, keyboard-interactive and, when the lab has authorized keys, public key; the
//! auth-fail fault rejects them all), an optional log of every authentication request (for
//! tests that must prove none was made), and shell/exec channels that run the device CLI.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use rand::RngCore;
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::{Algorithm, PrivateKey, PublicKey};
use russh::server::{
    Auth, ChannelOpenHandle, Config, Handler, Msg, PublicKeyOffer, Response, Session,
    VerifiedPublicKey,
};
use russh::{
    cipher, compression, kex, mac, Channel, ChannelId, MethodKind, MethodSet, Preferred, SshId,
};
use tokio::io::BufReader;
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use crate::device::{CliSession, Device, Out, SessionStart};
use crate::lab::AuthorizedKeys;
use crate::player::{pause, Flow, Player, SimDevice, Sink};
use crate::profile::Pacer;

/// A test-only RSA key (ssh-rsa for the legacy algorithm set), committed so that no RSA key is
/// generated at start-up. Never use it for anything but this testbed.
const LEGACY_RSA_HOST_KEY: &str = include_str!("../keys/legacy_rsa_host_key");

/// Typed bytes a shell can have queued before the SSH session waits for it.
const INPUT_QUEUE: usize = 64;

/// Bytes read from a client's socket at once: a login's packets, or a typed line's, fit.
const READ_BUFFER: usize = 4 * 1024;

/// Session idle timeout: a stalled client is dropped after this long.
const INACTIVITY_TIMEOUT: Duration = Duration::from_secs(600);

/// The lab's host keys: a fresh ed25519 key per run, the committed RSA key for legacy devices.
pub(crate) struct HostKeys {
    ed25519: PrivateKey,
    rsa: PrivateKey,
}

impl HostKeys {
    pub fn generate() -> HostKeys {
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        HostKeys {
            ed25519: PrivateKey::from(Ed25519Keypair::from_seed(&seed)),
            rsa: russh::keys::decode_secret_key(LEGACY_RSA_HOST_KEY, None)
                .expect("the committed legacy RSA host key parses"),
        }
    }

    /// The public host key a modern or legacy device shows, as OpenSSH writes it: `type base64`.
    pub fn public(&self, legacy: bool) -> String {
        let key = if legacy { &self.rsa } else { &self.ed25519 };
        let line = key.public_key().to_openssh().unwrap_or_default();
        line.split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `--auth-log FILE`: one line per authentication request a device receives, `R3 password`
/// (the method, never what was sent), each written whole with one append.
#[derive(Debug)]
pub(crate) struct AuthLog(std::fs::File);

impl AuthLog {
    pub fn open(path: &std::path::Path) -> std::io::Result<AuthLog> {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map(AuthLog)
    }

    fn note(&self, device: &str, method: &str) {
        let _ = (&self.0).write_all(format!("{device} {method}\n").as_bytes());
    }
}

/// What every SSH connection to devices of one kind (modern or legacy) shares.
#[derive(Clone)]
pub(crate) struct ServerConfig {
    russh: Arc<Config>,
    authorized: Arc<AuthorizedKeys>,
    auth_log: Option<Arc<AuthLog>>,
}

/// The server configuration shared by every device of one kind (modern or legacy). Public-key
/// authentication is offered only when the lab has keys, so clients without one are not asked.
pub(crate) fn server_config(
    keys: &HostKeys,
    legacy: bool,
    authorized: &AuthorizedKeys,
    auth_log: Option<Arc<AuthLog>>,
    password_auth: bool,
    server_id: &'static str,
) -> ServerConfig {
    let (key, preferred) = if legacy {
        (keys.rsa.clone(), legacy_algorithms())
    } else {
        (keys.ed25519.clone(), Preferred::default())
    };
    let mut methods = MethodSet::empty();
    if !authorized.is_empty() {
        methods.push(MethodKind::PublicKey);
    }
    if password_auth {
        methods.push(MethodKind::Password);
    }
    methods.push(MethodKind::KeyboardInteractive);
    let russh = Arc::new(Config {
        server_id: SshId::Standard(Cow::Borrowed(server_id)),
        methods,
        // The profile's auth delay is the only wait; russh's constant-time rejection would add
        // a second, profile-independent one.
        auth_rejection_time: Duration::ZERO,
        auth_rejection_time_initial: Some(Duration::ZERO),
        keys: vec![key],
        preferred,
        inactivity_timeout: Some(INACTIVITY_TIMEOUT),
        nodelay: true,
        ..Config::default()
    });
    ServerConfig {
        russh,
        authorized: Arc::new(authorized.clone()),
        auth_log,
    }
}

/// Exactly what an old IOS 12.x/15.x box offers.
fn legacy_algorithms() -> Preferred {
    Preferred {
        kex: Cow::Borrowed(&[kex::DH_G14_SHA1]),
        key: Cow::Borrowed(&[Algorithm::Rsa { hash: None }]),
        cipher: Cow::Borrowed(&[cipher::AES_128_CTR, cipher::AES_256_CTR]),
        mac: Cow::Borrowed(&[mac::HMAC_SHA1]),
        compression: Cow::Borrowed(&[compression::NONE]),
        ..Preferred::default()
    }
}

/// Serve one SSH connection to `sim`.
pub(crate) async fn serve(stream: TcpStream, sim: Arc<SimDevice>, config: ServerConfig) {
    let _ = stream.set_nodelay(true);
    let mut pacer = sim.pacer();
    pause(pacer.connect()).await;
    let handler = Connection {
        sim,
        pacer,
        authorized: config.authorized,
        auth_log: config.auth_log,
        password_auth: config.russh.methods.contains(&MethodKind::Password),
        channels: HashMap::new(),
    };
    // russh reads each packet with two exact reads (length, then the rest); buffered, one
    // socket read takes in all the client has sent instead of two or more per packet. Writes
    // pass straight through.
    let stream = BufReader::with_capacity(READ_BUFFER, stream);
    if let Ok(session) = russh::server::run_stream(config.russh, stream, handler).await {
        let _ = session.await;
    }
}

/// One SSH connection: authentication state and the input queues of its open channels.
struct Connection {
    sim: Arc<SimDevice>,
    pacer: Pacer,
    authorized: Arc<AuthorizedKeys>,
    auth_log: Option<Arc<AuthLog>>,
    password_auth: bool,
    channels: HashMap<ChannelId, mpsc::Sender<Vec<u8>>>,
}

impl Connection {
    /// Log an authentication request of `method` (with `--auth-log`).
    fn note_auth(&self, method: &str) {
        if let Some(log) = &self.auth_log {
            log.note(&self.sim.device.spec.hostname, method);
        }
    }

    async fn check(&mut self, user: &str, password: &str) -> Auth {
        pause(self.pacer.auth()).await;
        if !self.sim.auth_fail && self.sim.device.check_login(user, password) {
            Auth::Accept
        } else {
            Auth::reject()
        }
    }

    /// Whether `user` may log in with `key`: an authorized key and a user the device knows.
    fn key_may_log_in(&self, user: &str, key: &PublicKey) -> Auth {
        if !self.sim.auth_fail && self.authorized.contains(key) && has_user(&self.sim.device, user)
        {
            Auth::Accept
        } else {
            Auth::reject()
        }
    }

    /// A queue for the channel's typed input; the channel's task ends when it closes.
    fn open_input(&mut self, channel: ChannelId) -> mpsc::Receiver<Vec<u8>> {
        let (tx, rx) = mpsc::channel(INPUT_QUEUE);
        self.channels.insert(channel, tx);
        rx
    }

    /// A pacer for a channel: seeded from the connection's, so it is reproducible too.
    fn channel_pacer(&mut self) -> Pacer {
        self.pacer.fork()
    }
}

impl Handler for Connection {
    type Error = russh::Error;

    async fn auth_none(&mut self, _user: &str) -> Result<Auth, Self::Error> {
        self.note_auth("none");
        Ok(Auth::reject())
    }

    /// russh hands over a `password` request even when the method is not offered; a device
    /// that does not offer it refuses it at once, without looking at the password.
    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        self.note_auth("password");
        if !self.password_auth {
            return Ok(Auth::reject());
        }
        Ok(self.check(user, password).await)
    }

    /// A client asks whether a key would do before signing with it: no delay, like a real box.
    async fn auth_publickey_offered(
        &mut self,
        user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        self.note_auth("publickey-offer");
        Ok(self.key_may_log_in(user, offer.public_key))
    }

    /// russh has verified the signature: the key is the client's.
    async fn auth_publickey(
        &mut self,
        user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        self.note_auth("publickey");
        pause(self.pacer.auth()).await;
        Ok(self.key_may_log_in(user, key.public_key))
    }

    async fn auth_keyboard_interactive<'a>(
        &'a mut self,
        user: &str,
        _submethods: &str,
        response: Option<Response<'a>>,
    ) -> Result<Auth, Self::Error> {
        self.note_auth("keyboard-interactive");
        let Some(mut response) = response else {
            return Ok(Auth::Partial {
                name: Cow::Borrowed(""),
                instructions: Cow::Borrowed(""),
                prompts: Cow::Borrowed(&[(Cow::Borrowed("Password: "), false)]),
            });
        };
        let password = response
            .next()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        Ok(self.check(user, &password).await)
    }

    async fn channel_open_session(
        &mut self,
        _channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        // The Channel object is dropped: input arrives through `data`, output goes through the
        // session handle.
        reply.accept().await;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn window_change_request(
        &mut self,
        _channel: ChannelId,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        Ok(())
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        let input = self.open_input(channel);
        let sink = Sink::Ssh {
            handle: session.handle(),
            channel,
        };
        tokio::spawn(run_shell(
            self.sim.clone(),
            self.channel_pacer(),
            sink,
            input,
        ));
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)?;
        let command = String::from_utf8_lossy(data).into_owned();
        let input = self.open_input(channel);
        let sink = Sink::Ssh {
            handle: session.handle(),
            channel,
        };
        tokio::spawn(run_exec(
            self.sim.clone(),
            self.channel_pacer(),
            sink,
            command,
            input,
        ));
        Ok(())
    }

    async fn data(
        &mut self,
        channel: ChannelId,
        data: &[u8],
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if let Some(input) = self.channels.get(&channel) {
            if input.send(data.to_vec()).await.is_err() {
                self.channels.remove(&channel);
            }
        }
        Ok(())
    }

    async fn channel_eof(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.channels.remove(&channel);
        Ok(())
    }

    async fn channel_close(
        &mut self,
        channel: ChannelId,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        self.channels.remove(&channel);
        Ok(())
    }
}

/// Whether the device has the login `user`: its own user, or one configured with `username`
/// (read from the running-config, as IOS does).
fn has_user(device: &Arc<Device>, user: &str) -> bool {
    if user == device.spec.username {
        return true;
    }
    let (outs, _) = CliSession::exec(device, "show running-config | include ^username ");
    outs.iter()
        .filter_map(|out| match out {
            Out::Text(text) => Some(String::from_utf8_lossy(text).into_owned()),
            _ => None,
        })
        .any(|text| {
            text.lines().any(|line| {
                let mut words = line.split_whitespace();
                words.next() == Some("username") && words.next() == Some(user)
            })
        })
}

/// An interactive shell: typed bytes in, CLI output out, until logout, drop or disconnect.
async fn run_shell(
    sim: Arc<SimDevice>,
    pacer: Pacer,
    sink: Sink,
    mut input: mpsc::Receiver<Vec<u8>>,
) {
    let mut player = Player::new(pacer, sink);
    let (mut cli, first) = CliSession::new(sim.device.clone(), SessionStart::Authenticated);
    let mut flow = player.play(first).await;
    while flow == Flow::Continue {
        let Some(bytes) = input.recv().await else {
            return;
        };
        flow = player.typed(&mut cli, &bytes).await;
    }
    finish(flow, player, input).await;
}

/// One `exec` request: the command's output, its exit status, EOF and close.
async fn run_exec(
    sim: Arc<SimDevice>,
    pacer: Pacer,
    sink: Sink,
    command: String,
    input: mpsc::Receiver<Vec<u8>>,
) {
    let mut player = Player::new(pacer, sink);
    let (outs, status) = CliSession::exec(&sim.device, &command);
    let flow = player.play(outs).await;
    if flow == Flow::Continue {
        if let Sink::Ssh { handle, channel } = player.sink() {
            let _ = handle.exit_status_request(*channel, status).await;
            let _ = handle.eof(*channel).await;
            let _ = handle.close(*channel).await;
        }
        return;
    }
    finish(flow, player, input).await;
}

/// Close; stall: stay silent until the client gives up (its input queue closes); flood: stream
/// until done or until the client closes its channel, then close.
async fn finish(flow: Flow, mut player: Player, mut input: mpsc::Receiver<Vec<u8>>) {
    match flow {
        Flow::Close => player.sink().close().await,
        Flow::Stall => discard(&mut input).await,
        Flow::Flood(length) => {
            // Input is read and dropped meanwhile: a full input queue would block the SSH
            // session, and with it the window adjustments the flood waits for.
            tokio::select! {
                () = player.flood(length) => {}
                () = discard(&mut input) => {}
            }
            player.sink().close().await;
        }
        Flow::Continue => {}
    }
}

/// Drop typed input until the channel's input queue closes (EOF, close, disconnect).
async fn discard(input: &mut mpsc::Receiver<Vec<u8>>) {
    while input.recv().await.is_some() {}
}
