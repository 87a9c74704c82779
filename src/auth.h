/* Credentials and the token of a session: basic login, certificate login
 * (an RSA-SHA512 signature made with OpenSSL), a static token, and the
 * expiry bookkeeping that decides when to refresh.
 *
 * Nothing here calls Lua or sends a request: login.c and call.c drive the
 * exchanges. Every secret copy (password, Basic credential, token) is
 * overwritten with OPENSSL_cleanse before it is freed, and no function
 * writes a secret into an error text.
 * NOTE: the Lua strings of the options, the decoded login response and
 * libcurl's own request buffer also hold secrets, and this code cannot
 * overwrite them. */
#ifndef ANAPLAN_AUTH_H
#define ANAPLAN_AUTH_H

#include <stddef.h>

#include <curl/curl.h>
#include <openssl/evp.h>

typedef enum auth_kind {
    AUTH_NONE = 0,
    AUTH_BASIC,       /* user_email and password */
    AUTH_CERTIFICATE, /* certificate and private_key */
    AUTH_TOKEN        /* a token the user gave; never refreshed or logged out */
} auth_kind;

/* What a session should do with its token before the next call. */
typedef enum auth_token_state {
    AUTH_TOKEN_MISSING,
    AUTH_TOKEN_FRESH,
    AUTH_TOKEN_REFRESH_DUE,
    AUTH_TOKEN_EXPIRED
} auth_token_state;

typedef struct auth_state {
    auth_kind kind;
    char *user_email;           /* basic login; not a secret */
    char *password;             /* basic login; secret */
    char *basic_credential;     /* base64 of "user_email:password", sent after "Basic "; secret */
    char *certificate_header;   /* "Authorization: CACertificate <base64 of the PEM certificates>" */
    char *certificate_subject;  /* one-line subject of the first certificate, for messages */
    EVP_PKEY *private_key;      /* certificate login; secret, freed by EVP_PKEY_free */
    char *token;                /* secret; NULL until a login or when given */
    int token_from_login;       /* the token came from a login, so refresh and logout apply */
    long long expires_at_ms;    /* expiresAt of the token (epoch ms), 0 when unknown */
    double expires_at;          /* the same moment on the monotonic clock (s), 0 when unknown */
    double refresh_at;          /* monotonic time (s) from which a refresh is due */
} auth_state;

/* Copies the basic credentials and encodes the Basic credential from them.
 * Returns 0, or -1 when out of memory. */
int auth_set_basic(auth_state *a, const char *user_email, const char *password);

/* Copies a token the user holds. Returns 0, or -1 when out of memory. */
int auth_set_token(auth_state *a, const char *token);

/* Loads the certificate and private key for certificate login. Each of
 * certificate and private_key is PEM text (it contains "-----BEGIN") or the
 * path of a PEM file; key_password may be NULL. Checks that the key is an
 * RSA key that matches the first certificate. Returns 0, or -1 with a
 * message in err that names the problem and never contains key material, a
 * password or a key file's path (a mistyped key may look like a path).
 * Leaves OpenSSL's error queue empty either way. */
int auth_load_certificate(auth_state *a, const char *certificate, const char *private_key,
                          const char *key_password, char *err, size_t errlen);

/* Appends the Authorization header of a login (Basic or CACertificate).
 * Returns the new list, or NULL when out of memory (headers is then still
 * valid and owned by the caller). The temporary header line, which contains
 * the encoded password, is overwritten before it is freed. */
struct curl_slist *auth_append_login_header(struct curl_slist *headers, const auth_state *a);

/* Appends "Authorization: AnaplanAuthToken <token>"; same contract as
 * auth_append_login_header. */
struct curl_slist *auth_append_token_header(struct curl_slist *headers, const auth_state *a);

/* Builds the JSON body of a certificate login: 150 fresh random bytes and
 * their RSA-SHA512 signature, both base64. Stores a malloc'd body in *body
 * (the caller frees it) and returns 0, or returns -1 with err set. */
int auth_certificate_body(const auth_state *a, char **body, size_t *body_len,
                          char *err, size_t errlen);

/* Replaces the token with one obtained by a login or a refresh.
 * expires_at_ms is the server's expiresAt (epoch ms), or 0 when the response
 * had none. now_wall_ms and now_monotonic are the current wall-clock time
 * (ms) and monotonic time (s). The lifetime is measured against the local
 * wall clock once, then tracked on the monotonic clock, so a later change of
 * the system time does not move the refresh. A refresh is due when less than
 * 5 minutes, or a quarter of the lifetime if that is shorter, remain.
 * Returns 0, -1 when out of memory, or -2 when the value is empty or
 * contains characters that cannot go into a header. */
int auth_store_token(auth_state *a, const char *value, size_t len, long long expires_at_ms,
                     double now_wall_ms, double now_monotonic);

/* Returns what the token needs at monotonic time now (s). */
auth_token_state auth_check_token(const auth_state *a, double now);

/* Overwrites and drops the token. */
void auth_forget_token(auth_state *a);

/* Overwrites and frees every credential. Safe on a zeroed state. */
void auth_free(auth_state *a);

/* Replaces every copy of a secret stored in a (the password, the Basic
 * credential, the token) in text[0..*len) with "***" and shortens *len to
 * match, keeping text NUL-terminated. Used on response bodies before they
 * go into an error object, since a server or proxy page may echo the
 * request's Authorization header. Never allocates. */
void auth_redact(const auth_state *a, char *text, size_t *len);

/* Replaces every copy of secret in text[0..*len) the way auth_redact does. */
void auth_mask_secret(char *text, size_t *len, const char *secret);

/* Returns "basic", "certificate", "token" or "none". */
const char *auth_kind_name(auth_kind kind);

/* Returns 1 when s may be sent inside an HTTP header: non-empty, printable
 * ASCII without spaces. */
int auth_token_text_valid(const char *s, size_t len);

#endif
