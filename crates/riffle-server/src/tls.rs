//! TLS for the listener: certificates from files, or a self-signed pair made at start.
//!
//! ALPN offers `h2` and `http/1.1`, so HTTP/2 clients (the Java SDK v2, the JavaScript SDK v3)
//! and HTTP/1.1 clients share the port, as they do on AWS.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the listener's certificate comes from.
#[derive(Debug, Clone)]
pub enum TlsSource {
    /// PEM files: a certificate chain and its private key.
    Files { cert: PathBuf, key: PathBuf },
    /// A self-signed certificate for `localhost` and `127.0.0.1`, generated at start and written
    /// (certificate only) to `<data dir>/tls/self-signed.pem` so clients can trust it.
    SelfSigned,
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {reason}")]
    Read { path: PathBuf, reason: String },
    #[error("cannot generate a self-signed certificate: {0}")]
    Generate(String),
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("the certificate and key do not make a TLS configuration: {0}")]
    Config(String),
}

/// A ready TLS configuration, and where a generated certificate was written.
pub struct Tls {
    pub config: Arc<rustls::ServerConfig>,
    pub generated_cert: Option<PathBuf>,
}

pub fn load(source: &TlsSource, data_dir: &Path) -> Result<Tls, TlsError> {
    let (chain, key, generated_cert) = match source {
        TlsSource::Files { cert, key } => {
            let read_err = |path: &Path, e: &dyn std::fmt::Display| TlsError::Read {
                path: path.to_path_buf(),
                reason: e.to_string(),
            };
            let chain = CertificateDer::pem_file_iter(cert)
                .map_err(|e| read_err(cert, &e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| read_err(cert, &e))?;
            if chain.is_empty() {
                return Err(read_err(cert, &"no PEM certificate in the file"));
            }
            let key = PrivateKeyDer::from_pem_file(key).map_err(|e| read_err(key, &e))?;
            (chain, key, None)
        }
        TlsSource::SelfSigned => {
            let names = vec!["localhost".to_string(), "127.0.0.1".to_string(), "::1".to_string()];
            let made = rcgen::generate_simple_self_signed(names).map_err(|e| TlsError::Generate(e.to_string()))?;
            let dir = data_dir.join("tls");
            let path = dir.join("self-signed.pem");
            std::fs::create_dir_all(&dir)
                .and_then(|()| std::fs::write(&path, made.cert.pem()))
                .map_err(|source| TlsError::Write { path: path.clone(), source })?;
            let key = PrivateKeyDer::try_from(made.signing_key.serialize_der())
                .map_err(|e| TlsError::Generate(e.to_string()))?;
            (vec![made.cert.der().clone()], key, Some(path))
        }
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Tls { config: Arc::new(config), generated_cert })
}
