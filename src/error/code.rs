//! Every error code a client can receive, with its HTTP status and default
//! message: the one table both renderers (S3 `<Error>`, STS `<ErrorResponse>`)
//! read, and the one docs/REFERENCE.md ("Errors") lists (a test compares
//! them). Plain data; it imports nothing from the crate.

/// Declares [`Code`] and its table from one list of rows, so a variant cannot
/// exist without its row; the tests also get the S3 and STS variants in order.
macro_rules! codes {
    (
        s3 { $($(#[$s3doc:meta])* $s3:ident => ($s3status:literal, $s3wire:literal, $s3msg:literal),)* }
        sts { $($(#[$stsdoc:meta])* $sts:ident => ($stsstatus:literal, $stswire:literal, $stsmsg:literal),)* }
    ) => {
        /// An S3 or STS error code. Variants are ours, not the wire strings: one wire
        /// code can answer with two statuses (S3's `InternalError` is 500 or 502),
        /// and S3 and STS share some names with other messages (`Sts*` variants).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $($(#[$s3doc])* $s3,)*
            $($(#[$stsdoc])* $sts,)*
        }

        impl Code {
            /// (HTTP status, wire code, default client message).
            const fn row(self) -> (u16, &'static str, &'static str) {
                match self {
                    $(Code::$s3 => ($s3status, $s3wire, $s3msg),)*
                    $(Code::$sts => ($stsstatus, $stswire, $stsmsg),)*
                }
            }
        }

        /// The codes S3 routes answer with, in table order.
        #[cfg(test)]
        const S3: &[Code] = &[$(Code::$s3),*];

        /// The codes `/.sts` answers with, in table order.
        #[cfg(test)]
        const STS: &[Code] = &[$(Code::$sts),*];
    };
}

codes! {
    s3 {
        NoSuchBucket => (404, "NoSuchBucket", "The specified bucket does not exist."),
        NoSuchKey => (404, "NoSuchKey", "The specified key does not exist."),
        NoSuchVersion => (404, "NoSuchVersion", "The specified version does not exist."),
        AccessDenied => (403, "AccessDenied", "Access Denied"),
        InvalidArgument => (400, "InvalidArgument", "Invalid Argument"),
        InvalidRequest => (400, "InvalidRequest", "Invalid Request"),
        InvalidUri => (400, "InvalidURI", "Couldn't parse the specified URI."),
        KeyTooLong => (400, "KeyTooLongError", "Your key is too long."),
        InvalidRange => (416, "InvalidRange", "The requested range is not satisfiable."),
        InvalidPartNumber => (416, "InvalidPartNumber",
            "The requested partnumber is not satisfiable"),
        PreconditionFailed => (412, "PreconditionFailed",
            "At least one of the preconditions you specified did not hold."),
        MethodNotAllowed => (405, "MethodNotAllowed",
            "The specified method is not allowed against this resource."),
        /// A CORS preflight refused.
        AccessForbidden => (403, "AccessForbidden",
            "CORSResponse: This CORS request is not allowed."),
        BadRequest => (400, "BadRequest", "Bad Request"),
        NotImplemented => (501, "NotImplemented",
            "A header you provided implies functionality that is not implemented."),
        ServiceUnavailable => (503, "ServiceUnavailable",
            "Please reduce your request rate or try again later."),
        InternalError => (500, "InternalError",
            "We encountered an internal error. Please try again."),
        /// `InternalError` answered with 502: the backend said something unusable.
        BadGateway => (502, "InternalError", "We encountered an internal error. Please try again."),
        AuthorizationHeaderMalformed => (400, "AuthorizationHeaderMalformed",
            "The authorization header is malformed."),
        AuthorizationQueryParametersError => (400, "AuthorizationQueryParametersError",
            "The authorization query parameters are malformed."),
        InvalidAccessKeyId => (403, "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records."),
        InvalidToken => (400, "InvalidToken",
            "The provided token is malformed or otherwise invalid."),
        ExpiredToken => (400, "ExpiredToken", "The provided token has expired."),
        RequestTimeTooSkewed => (403, "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large."),
        SignatureDoesNotMatch => (403, "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided."),
        XAmzContentSha256Mismatch => (400, "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed."),
    }
    sts {
        InvalidIdentityToken => (400, "InvalidIdentityToken",
            "The ID token provided is not valid."),
        StsExpiredToken => (400, "ExpiredTokenException", "Token expired."),
        IdpRejectedClaim => (403, "IDPRejectedClaim",
            "The token's claims are not accepted by this role."),
        IdpCommunicationError => (400, "IDPCommunicationError",
            "The identity provider could not be reached or answered badly."),
        ValidationError => (400, "ValidationError", "The request is not valid."),
        MissingParameter => (400, "MissingParameter", "A required parameter is missing."),
        InvalidParameterValue => (400, "InvalidParameterValue", "A parameter value is not valid."),
        StsNotImplemented => (501, "NotImplemented", "This is not implemented."),
        StsMethodNotAllowed => (405, "MethodNotAllowed",
            "The security token service accepts GET and POST only."),
        StsNotFound => (404, "NotFound",
            "Nothing is served here; the security token service is at /.sts."),
        /// STS's `AccessDenied`: a CORS preflight refused.
        StsAccessDenied => (403, "AccessDenied", "This CORS request is not allowed."),
        RequestEntityTooLarge => (413, "RequestEntityTooLarge",
            "The request body is larger than 65536 bytes."),
        MalformedPolicyDocument => (400, "MalformedPolicyDocument",
            "The session policy is not valid."),
        PackedPolicyTooLarge => (400, "PackedPolicyTooLarge", "The session policy is too large."),
        InternalFailure => (500, "InternalFailure", "An internal error occurred."),
    }
}

impl Code {
    pub const fn status(self) -> u16 {
        self.row().0
    }

    /// The code as the client sees it.
    pub const fn as_str(self) -> &'static str {
        self.row().1
    }

    /// The client message when the error has no more precise fixed text.
    pub const fn default_message(self) -> &'static str {
        self.row().2
    }
}

#[cfg(test)]
mod tests;
