//! A small multipart/form-data reader for message bodies with files (serenity sends
//! `files[n]` parts and a `payload_json` part).

/// One part of a multipart body.
#[derive(Debug, Clone)]
pub struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// The boundary of a `multipart/form-data; boundary=...` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    if !content_type.trim_start().starts_with("multipart/") {
        return None;
    }
    content_type.split(';').find_map(|p| {
        let p = p.trim();
        p.strip_prefix("boundary=")
            .map(|b| b.trim_matches('"').to_string())
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    (from..=haystack.len() - needle.len()).find(|&i| &haystack[i..i + needle.len()] == needle)
}

/// Splits the body into parts; Err names what was malformed.
pub fn parse(body: &[u8], boundary: &str) -> Result<Vec<Part>, String> {
    let delimiter = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut pos = find(body, &delimiter, 0).ok_or("multipart body has no boundary")?;
    loop {
        pos += delimiter.len();
        if body.get(pos..pos + 2) == Some(b"--") {
            return Ok(parts);
        }
        // Skip the CRLF after the delimiter.
        if body.get(pos..pos + 2) == Some(b"\r\n") {
            pos += 2;
        }
        let headers_end = find(body, b"\r\n\r\n", pos).ok_or("multipart part without headers")?;
        let headers = String::from_utf8_lossy(&body[pos..headers_end]).to_string();
        let content_start = headers_end + 4;
        let mut closing = b"\r\n".to_vec();
        closing.extend_from_slice(&delimiter);
        let content_end =
            find(body, &closing, content_start).ok_or("multipart part without closing boundary")?;
        let mut part = Part {
            name: String::new(),
            filename: None,
            content_type: None,
            bytes: body[content_start..content_end].to_vec(),
        };
        for line in headers.split("\r\n") {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            match key.trim().to_ascii_lowercase().as_str() {
                "content-disposition" => {
                    for attr in value.split(';') {
                        let attr = attr.trim();
                        if let Some(v) = attr.strip_prefix("name=") {
                            part.name = v.trim_matches('"').to_string();
                        } else if let Some(v) = attr.strip_prefix("filename=") {
                            part.filename = Some(v.trim_matches('"').to_string());
                        }
                    }
                }
                "content-type" => part.content_type = Some(value.trim().to_string()),
                _ => {}
            }
        }
        parts.push(part);
        pos = content_end + 2;
    }
}
