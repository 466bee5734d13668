//! A host's endpoint (PROTOCOL §1): `http://host[:port]` or `https://host[:port]` — no user info,
//! path, query or fragment — where `host` is a DNS name, an IPv4 address or a bracketed IPv6
//! address. The chain refuses any other form at registration; the worker parses the same way
//! before it fetches, and then refuses non-public addresses (that check needs DNS, so it is the
//! worker's).

/// The most bytes of an endpoint.
pub const MAX_ENDPOINT_LEN: usize = 256;

/// Why an endpoint is refused.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EndpointError {
	/// Longer than [`MAX_ENDPOINT_LEN`] bytes.
	TooLong,
	/// Neither `http://` nor `https://`.
	Scheme,
	/// `user@` or `user:password@` before the host.
	UserInfo,
	/// Anything after the host and port: a path (even `/`), a query or a fragment.
	PathQueryOrFragment,
	/// The host is empty or not a DNS name, IPv4 address or bracketed IPv6 address.
	Host,
	/// The port is empty, not a number, 0 or above 65535.
	Port,
}

impl EndpointError {
	/// What is wrong, for an operator.
	pub fn describe(&self) -> &'static str {
		match self {
			Self::TooLong => "the endpoint is longer than 256 bytes",
			Self::Scheme => "the endpoint must start with http:// or https://",
			Self::UserInfo => "the endpoint must not carry a user name or password (user@host)",
			Self::PathQueryOrFragment => {
				"the endpoint must be only scheme, host and port: no path (not even a trailing /), \
				 query or fragment"
			},
			Self::Host => "the endpoint's host is not a DNS name, IPv4 address or [IPv6] address",
			Self::Port => "the endpoint's port must be a number from 1 to 65535",
		}
	}
}

/// The host part of an endpoint.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EndpointHost<'a> {
	/// A DNS name (letters, digits, `-` and `.`), as written.
	Name(&'a str),
	/// An IPv4 address.
	V4([u8; 4]),
	/// An IPv6 address (the text between the brackets; the worker parses it with `std::net`).
	V6(&'a str),
}

/// A parsed endpoint.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct EndpointParts<'a> {
	/// `https://` rather than `http://`.
	pub tls: bool,
	/// The host.
	pub host: EndpointHost<'a>,
	/// The port, if one is written.
	pub port: Option<u16>,
}

/// Parses an endpoint (PROTOCOL §1).
pub fn parse_endpoint(endpoint: &[u8]) -> Result<EndpointParts<'_>, EndpointError> {
	if endpoint.len() > MAX_ENDPOINT_LEN {
		return Err(EndpointError::TooLong);
	}
	let text = core::str::from_utf8(endpoint).map_err(|_| EndpointError::Host)?;
	let (tls, rest) = if let Some(r) = text.strip_prefix("https://") {
		(true, r)
	} else if let Some(r) = text.strip_prefix("http://") {
		(false, r)
	} else {
		return Err(EndpointError::Scheme);
	};
	if rest.contains('@') {
		return Err(EndpointError::UserInfo);
	}
	if rest.contains(['/', '?', '#', '\\']) {
		return Err(EndpointError::PathQueryOrFragment);
	}
	let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
		let close = v6.find(']').ok_or(EndpointError::Host)?;
		let (addr, after) = (&v6[..close], &v6[close + 1..]);
		let ok = addr.len() >= 2
			&& addr.contains(':')
			&& addr.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
		if !ok {
			return Err(EndpointError::Host);
		}
		let port = match after {
			"" => None,
			p => Some(p.strip_prefix(':').ok_or(EndpointError::Host)?),
		};
		(EndpointHost::V6(addr), port)
	} else {
		let (host, port) = match rest.split_once(':') {
			Some((h, p)) => (h, Some(p)),
			None => (rest, None),
		};
		(parse_host(host)?, port)
	};
	let port = port.map(parse_port).transpose()?;
	Ok(EndpointParts { tls, host, port })
}

/// Whether the chain accepts `endpoint`.
pub fn is_valid_endpoint(endpoint: &[u8]) -> bool {
	parse_endpoint(endpoint).is_ok()
}

fn parse_port(p: &str) -> Result<u16, EndpointError> {
	if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
		return Err(EndpointError::Port);
	}
	match p.parse::<u32>() {
		Ok(n) if (1..=65_535).contains(&n) => Ok(n as u16),
		_ => Err(EndpointError::Port),
	}
}

fn parse_host(host: &str) -> Result<EndpointHost<'_>, EndpointError> {
	if host.is_empty() || host.len() > 253 {
		return Err(EndpointError::Host);
	}
	// All digits and dots: it must be an IPv4 address (no "1.2.3" or "999.0.0.1" names).
	if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
		let mut octets = [0u8; 4];
		let mut parts = host.split('.');
		for octet in octets.iter_mut() {
			let part = parts.next().ok_or(EndpointError::Host)?;
			if part.is_empty() || part.len() > 3 || (part.len() > 1 && part.starts_with('0')) {
				return Err(EndpointError::Host);
			}
			*octet = part.parse().map_err(|_| EndpointError::Host)?;
		}
		if parts.next().is_some() {
			return Err(EndpointError::Host);
		}
		return Ok(EndpointHost::V4(octets));
	}
	let name = host.strip_suffix('.').unwrap_or(host);
	let label_ok = |l: &str| {
		!l.is_empty()
			&& l.len() <= 63
			&& !l.starts_with('-')
			&& !l.ends_with('-')
			&& l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
	};
	if name.split('.').all(label_ok) {
		Ok(EndpointHost::Name(host))
	} else {
		Err(EndpointError::Host)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn accepts_scheme_host_and_port_only() {
		let ok = [
			("https://gpu1.example.com", true, EndpointHost::Name("gpu1.example.com"), None),
			("http://203.0.113.7:8080", false, EndpointHost::V4([203, 0, 113, 7]), Some(8080)),
			("http://127.0.0.1:9944", false, EndpointHost::V4([127, 0, 0, 1]), Some(9944)),
			("https://[2001:db8::1]:443", true, EndpointHost::V6("2001:db8::1"), Some(443)),
			("https://worker-7.gonka.ai.", true, EndpointHost::Name("worker-7.gonka.ai."), None),
		];
		for (e, tls, host, port) in ok {
			assert_eq!(parse_endpoint(e.as_bytes()), Ok(EndpointParts { tls, host, port }), "{e}");
		}
	}

	#[test]
	fn refuses_everything_else_with_a_reason() {
		let long = format!("https://{}.com", "a".repeat(250));
		let bad = [
			("ftp://host", EndpointError::Scheme),
			("host:80", EndpointError::Scheme),
			("HTTP://host", EndpointError::Scheme),
			("http://user@host", EndpointError::UserInfo),
			("http://user:pw@10.0.0.1", EndpointError::UserInfo),
			("http://host/", EndpointError::PathQueryOrFragment),
			("http://host/admin", EndpointError::PathQueryOrFragment),
			("http://host?x=1", EndpointError::PathQueryOrFragment),
			("http://host#frag", EndpointError::PathQueryOrFragment),
			("http://host\\x", EndpointError::PathQueryOrFragment),
			("http://", EndpointError::Host),
			("http://:80", EndpointError::Host),
			("http://ho st", EndpointError::Host),
			("http://-host", EndpointError::Host),
			("http://a..b", EndpointError::Host),
			("http://999.1.1.1", EndpointError::Host),
			("http://1.2.3", EndpointError::Host),
			("http://01.2.3.4", EndpointError::Host),
			("http://[::1", EndpointError::Host),
			("http://[zz::1]", EndpointError::Host),
			("http://[::1]x", EndpointError::Host),
			("http://host:", EndpointError::Port),
			("http://host:0", EndpointError::Port),
			("http://host:65536", EndpointError::Port),
			("http://host:8o", EndpointError::Port),
			("http://host:1:2", EndpointError::Port),
			(long.as_str(), EndpointError::TooLong),
		];
		for (e, why) in bad {
			assert_eq!(parse_endpoint(e.as_bytes()), Err(why), "{e}");
			assert!(!is_valid_endpoint(e.as_bytes()));
		}
		assert_eq!(parse_endpoint(&[b'h', 0xff]), Err(EndpointError::Host));
	}
}
