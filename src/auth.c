/* Credentials, login headers and bodies, and token expiry. See auth.h. */
#include "auth.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

/* Random bytes signed in a certificate login. The API requires at least 100. */
#define CHALLENGE_BYTES 150

/* Largest certificate or key file read, in bytes. PEM files are a few KiB. */
#define MAX_PEM_FILE (1024 * 1024)

/* A refresh is due when less than this many seconds of the token remain
 * (or a quarter of its lifetime, if that is shorter). */
#define REFRESH_MARGIN_SECONDS 300.0

static void free_secret(char *s)
{
    if (s != NULL) {
        OPENSSL_cleanse(s, strlen(s));
        free(s);
    }
}

static char *copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = malloc(n);

    if (copy != NULL)
        memcpy(copy, s, n);
    return copy;
}

/* Returns a malloc'd prefix followed by text, or NULL when out of memory. */
static char *concatenate(const char *prefix, const char *text)
{
    size_t prefix_len = strlen(prefix), text_len = strlen(text);
    char *out = malloc(prefix_len + text_len + 1);

    if (out != NULL) {
        memcpy(out, prefix, prefix_len);
        memcpy(out + prefix_len, text, text_len + 1);
    }
    return out;
}

/* Returns a malloc'd NUL-terminated base64 text of data (no line breaks),
 * or NULL when out of memory or data is too long for EVP_EncodeBlock. */
static char *base64_encode(const unsigned char *data, size_t n)
{
    char *out;

    if (n > (size_t)INT_MAX / 4 * 3 - 3)
        return NULL;
    out = malloc(4 * ((n + 2) / 3) + 1);
    if (out != NULL)
        EVP_EncodeBlock((unsigned char *)out, data, (int)n);
    return out;
}

const char *auth_kind_name(auth_kind kind)
{
    switch (kind) {
    case AUTH_BASIC:
        return "basic";
    case AUTH_CERTIFICATE:
        return "certificate";
    case AUTH_TOKEN:
        return "token";
    default:
        return "none";
    }
}

int auth_token_text_valid(const char *s, size_t len)
{
    size_t i;

    if (len == 0)
        return 0;
    for (i = 0; i < len; i++) {
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return 0;
    }
    return 1;
}

int auth_set_basic(auth_state *a, const char *user_email, const char *password)
{
    size_t email_len, password_len, pair_len;
    char *pair;

    a->kind = AUTH_BASIC;
    a->user_email = copy_string(user_email);
    a->password = copy_string(password);
    if (a->user_email == NULL || a->password == NULL)
        return -1;

    email_len = strlen(user_email);
    password_len = strlen(password);
    pair_len = email_len + 1 + password_len;
    pair = malloc(pair_len + 1);
    if (pair == NULL)
        return -1;
    memcpy(pair, user_email, email_len);
    pair[email_len] = ':';
    memcpy(pair + email_len + 1, password, password_len + 1);
    a->basic_credential = base64_encode((const unsigned char *)pair, pair_len);
    OPENSSL_cleanse(pair, pair_len);
    free(pair);
    return a->basic_credential != NULL ? 0 : -1;
}

int auth_set_token(auth_state *a, const char *token)
{
    a->kind = AUTH_TOKEN;
    a->token = copy_string(token);
    a->token_from_login = 0;
    return a->token != NULL ? 0 : -1;
}

/* ------------------------------------------------------- PEM and keys */

/* Makes *text point at PEM text: value itself when it contains a PEM
 * header, else the malloc'd contents of the file it names (*owned is then
 * set and the caller overwrites and frees it). Returns 0, or -1 with errno
 * set (EFBIG for a file above MAX_PEM_FILE). */
static int read_pem_input(const char *value, const char **text, size_t *len, char **owned)
{
    FILE *f;
    char *buffer;
    size_t n;

    *owned = NULL;
    if (strstr(value, "-----BEGIN") != NULL) {
        *text = value;
        *len = strlen(value);
        return 0;
    }

    f = fopen(value, "rb");
    if (f == NULL)
        return -1;
    buffer = malloc(MAX_PEM_FILE + 1);
    if (buffer == NULL) {
        fclose(f);
        errno = ENOMEM;
        return -1;
    }
    n = fread(buffer, 1, MAX_PEM_FILE + 1, f);
    if (ferror(f) || n > MAX_PEM_FILE) {
        int failure = ferror(f) ? EIO : EFBIG;

        fclose(f);
        OPENSSL_cleanse(buffer, n);
        free(buffer);
        errno = failure;
        return -1;
    }
    fclose(f);

    *text = buffer;
    *len = n;
    *owned = buffer;
    return 0;
}

static void release_pem_input(char *owned, size_t len)
{
    if (owned != NULL) {
        OPENSSL_cleanse(owned, len);
        free(owned);
    }
}

/* Passphrase callback state: OpenSSL would prompt on the terminal when no
 * callback is given, so one is always passed. asked records that the key
 * turned out to be encrypted. */
typedef struct passphrase {
    const char *password;
    int asked;
} passphrase;

static int supply_passphrase(char *buf, int size, int rwflag, void *userdata)
{
    passphrase *p = userdata;
    size_t n;

    (void)rwflag;
    p->asked = 1;
    if (p->password == NULL)
        return -1;
    n = strlen(p->password);
    if (n > (size_t)size)
        return -1;
    memcpy(buf, p->password, n);
    return (int)n;
}

static int refuse_passphrase(char *buf, int size, int rwflag, void *userdata)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)userdata;
    return -1;
}

/* Reads every certificate in the PEM text, returning the first one and
 * storing the certificates, re-encoded as PEM, in *chain. Only certificate
 * blocks are copied, so a bundle that also contains the private key never
 * sends the key. Returns NULL when the text contains no certificate. */
static X509 *read_certificates(const char *text, size_t len, BIO **chain)
{
    BIO *in = BIO_new_mem_buf(text, (int)len);
    BIO *out = BIO_new(BIO_s_mem());
    X509 *first = NULL;
    X509 *cert;

    *chain = NULL;
    if (in == NULL || out == NULL || len > INT_MAX) {
        BIO_free(in);
        BIO_free(out);
        return NULL;
    }

    while ((cert = PEM_read_bio_X509(in, NULL, refuse_passphrase, NULL)) != NULL) {
        if (PEM_write_bio_X509(out, cert) != 1) {
            X509_free(cert);
            break;
        }
        if (first == NULL)
            first = cert;
        else
            X509_free(cert);
    }
    BIO_free(in);

    if (first == NULL) {
        BIO_free(out);
        return NULL;
    }
    *chain = out;
    return first;
}

/* Builds "Authorization: CACertificate <base64 of chain>" into a->certificate_header. */
static int make_certificate_header(auth_state *a, BIO *chain)
{
    static const char prefix[] = "Authorization: CACertificate ";
    char *pem;
    long pem_len = BIO_get_mem_data(chain, &pem);
    char *encoded;

    if (pem_len <= 0)
        return -1;
    encoded = base64_encode((const unsigned char *)pem, (size_t)pem_len);
    if (encoded == NULL)
        return -1;
    a->certificate_header = concatenate(prefix, encoded);
    free(encoded);
    return a->certificate_header != NULL ? 0 : -1;
}

/* Reads the private key and checks that it can sign for certificate.
 * Returns the key, or NULL with err set. */
static EVP_PKEY *read_private_key(const char *text, size_t len, const char *key_password,
                                  X509 *certificate, char *err, size_t errlen)
{
    BIO *in;
    EVP_PKEY *key;
    passphrase p = {key_password, 0};

    if (len > INT_MAX || (in = BIO_new_mem_buf(text, (int)len)) == NULL) {
        snprintf(err, errlen, "could not read private_key: out of memory");
        return NULL;
    }
    key = PEM_read_bio_PrivateKey(in, NULL, supply_passphrase, &p);
    BIO_free(in);

    if (key == NULL) {
        if (p.asked && key_password == NULL)
            snprintf(err, errlen, "private_key is encrypted; set private_key_password");
        else if (p.asked)
            snprintf(err, errlen, "could not decrypt private_key: wrong private_key_password");
        else
            snprintf(err, errlen, "private_key is not a PEM private key");
        return NULL;
    }

    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
        const char *type = EVP_PKEY_get0_type_name(key);

        snprintf(err, errlen, "private_key is an %s key; certificate login needs an RSA key",
                 type != NULL ? type : "unknown");
        EVP_PKEY_free(key);
        return NULL;
    }
    if (X509_check_private_key(certificate, key) != 1) {
        snprintf(err, errlen, "private_key does not match the certificate");
        EVP_PKEY_free(key);
        return NULL;
    }
    return key;
}

int auth_load_certificate(auth_state *a, const char *certificate, const char *private_key,
                          const char *key_password, char *err, size_t errlen)
{
    const char *cert_text, *key_text;
    size_t cert_len, key_len;
    char *cert_owned = NULL, *key_owned = NULL;
    BIO *chain = NULL;
    X509 *first = NULL;
    char subject[256];
    int status = -1;

    a->kind = AUTH_CERTIFICATE;
    ERR_clear_error();

    if (read_pem_input(certificate, &cert_text, &cert_len, &cert_owned) != 0) {
        snprintf(err, errlen, "could not read the certificate file '%s': %s", certificate,
                 strerror(errno));
        goto done;
    }
    if (read_pem_input(private_key, &key_text, &key_len, &key_owned) != 0) {
        snprintf(err, errlen, "could not read the private_key file: %s", strerror(errno));
        goto done;
    }

    first = read_certificates(cert_text, cert_len, &chain);
    if (first == NULL) {
        snprintf(err, errlen, "certificate holds no PEM certificate");
        goto done;
    }
    a->private_key = read_private_key(key_text, key_len, key_password, first, err, errlen);
    if (a->private_key == NULL)
        goto done;

    if (make_certificate_header(a, chain) != 0) {
        snprintf(err, errlen, "could not encode the certificate: out of memory");
        goto done;
    }
    X509_NAME_oneline(X509_get_subject_name(first), subject, sizeof subject);
    a->certificate_subject = copy_string(subject);
    if (a->certificate_subject == NULL) {
        snprintf(err, errlen, "could not load the certificate: out of memory");
        goto done;
    }
    status = 0;

done:
    X509_free(first);
    BIO_free(chain);
    release_pem_input(cert_owned, cert_len);
    release_pem_input(key_owned, key_len);
    ERR_clear_error();
    return status;
}

/* ------------------------------------------------------------- headers */

/* Appends the line to headers and overwrites it; NULL when out of memory. */
static struct curl_slist *append_secret_line(struct curl_slist *headers, char *line)
{
    struct curl_slist *list = curl_slist_append(headers, line);

    OPENSSL_cleanse(line, strlen(line));
    free(line);
    return list;
}

struct curl_slist *auth_append_login_header(struct curl_slist *headers, const auth_state *a)
{
    static const char prefix[] = "Authorization: Basic ";
    char *line;

    if (a->kind == AUTH_CERTIFICATE)
        return curl_slist_append(headers, a->certificate_header);
    if (a->kind != AUTH_BASIC || a->basic_credential == NULL)
        return NULL;

    line = concatenate(prefix, a->basic_credential);
    if (line == NULL)
        return NULL;
    return append_secret_line(headers, line);
}

struct curl_slist *auth_append_token_header(struct curl_slist *headers, const auth_state *a)
{
    static const char prefix[] = "Authorization: AnaplanAuthToken ";
    char *line;

    if (a->token == NULL)
        return NULL;
    line = concatenate(prefix, a->token);
    if (line == NULL)
        return NULL;
    return append_secret_line(headers, line);
}

/* ------------------------------------------------------------ redaction */

/* Replaces each copy of secret in text[0..*len) with "***" (or as many
 * stars as the secret has bytes, when it has fewer than three). */
void auth_mask_secret(char *text, size_t *len, const char *secret)
{
    static const char stars[] = "***";
    size_t n = secret != NULL ? strlen(secret) : 0;
    size_t mask_len = n < sizeof stars - 1 ? n : sizeof stars - 1;
    size_t i = 0;

    if (n == 0)
        return;
    while (i + n <= *len) {
        if (memcmp(text + i, secret, n) != 0) {
            i++;
            continue;
        }
        memcpy(text + i, stars, mask_len);
        memmove(text + i + mask_len, text + i + n, *len - i - n);
        *len -= n - mask_len;
        i += mask_len;
    }
    text[*len] = '\0';
}

void auth_redact(const auth_state *a, char *text, size_t *len)
{
    /* The password last: it is the shortest, and masking it inside a
     * longer secret first would leave the rest of that secret in place. */
    auth_mask_secret(text, len, a->basic_credential);
    auth_mask_secret(text, len, a->token);
    auth_mask_secret(text, len, a->password);
}

/* ----------------------------------------------------- certificate body */

int auth_certificate_body(const auth_state *a, char **body, size_t *body_len,
                          char *err, size_t errlen)
{
    unsigned char challenge[CHALLENGE_BYTES];
    unsigned char *signature = NULL;
    size_t signature_len = 0;
    char *data_b64 = NULL, *signature_b64 = NULL;
    EVP_MD_CTX *ctx = NULL;
    size_t n;
    int status = -1;

    *body = NULL;
    if (a->private_key == NULL) {
        snprintf(err, errlen, "no private_key is loaded");
        return -1;
    }
    if (RAND_bytes(challenge, sizeof challenge) != 1) {
        snprintf(err, errlen, "could not make random bytes for the certificate login");
        goto done;
    }

    ctx = EVP_MD_CTX_new();
    if (ctx == NULL
        || EVP_DigestSignInit(ctx, NULL, EVP_sha512(), NULL, a->private_key) != 1
        || EVP_DigestSign(ctx, NULL, &signature_len, challenge, sizeof challenge) != 1
        || (signature = malloc(signature_len)) == NULL
        || EVP_DigestSign(ctx, signature, &signature_len, challenge, sizeof challenge) != 1) {
        snprintf(err, errlen, "could not sign the certificate login challenge with private_key");
        goto done;
    }

    data_b64 = base64_encode(challenge, sizeof challenge);
    signature_b64 = base64_encode(signature, signature_len);
    if (data_b64 == NULL || signature_b64 == NULL) {
        snprintf(err, errlen, "could not encode the certificate login: out of memory");
        goto done;
    }
    n = strlen(data_b64) + strlen(signature_b64) + 64;
    *body = malloc(n);
    if (*body == NULL) {
        snprintf(err, errlen, "could not encode the certificate login: out of memory");
        goto done;
    }
    *body_len = (size_t)snprintf(*body, n, "{\"encodedData\":\"%s\",\"encodedSignedData\":\"%s\"}",
                                 data_b64, signature_b64);
    status = 0;

done:
    EVP_MD_CTX_free(ctx);
    free(signature);
    free(data_b64);
    free(signature_b64);
    ERR_clear_error();
    return status;
}

/* ---------------------------------------------------------------- token */

int auth_store_token(auth_state *a, const char *value, size_t len, long long expires_at_ms,
                     double now_wall_ms, double now_monotonic)
{
    char *copy;
    double lifetime, margin;

    if (!auth_token_text_valid(value, len))
        return -2;
    copy = malloc(len + 1);
    if (copy == NULL)
        return -1;
    memcpy(copy, value, len);
    copy[len] = '\0';

    auth_forget_token(a);
    a->token = copy;
    a->token_from_login = 1;
    a->expires_at_ms = expires_at_ms;

    lifetime = expires_at_ms > 0 ? ((double)expires_at_ms - now_wall_ms) / 1000.0 : 0.0;
    if (lifetime <= 0) {
        /* No usable expiry: rely on the 401 that an expired token draws. */
        a->expires_at = 0;
        a->refresh_at = 0;
        return 0;
    }
    margin = lifetime / 4 < REFRESH_MARGIN_SECONDS ? lifetime / 4 : REFRESH_MARGIN_SECONDS;
    a->expires_at = now_monotonic + lifetime;
    a->refresh_at = a->expires_at - margin;
    return 0;
}

auth_token_state auth_check_token(const auth_state *a, double now)
{
    if (a->token == NULL)
        return AUTH_TOKEN_MISSING;
    if (!a->token_from_login || a->expires_at == 0)
        return AUTH_TOKEN_FRESH;
    if (now >= a->expires_at)
        return AUTH_TOKEN_EXPIRED;
    if (now >= a->refresh_at)
        return AUTH_TOKEN_REFRESH_DUE;
    return AUTH_TOKEN_FRESH;
}

void auth_forget_token(auth_state *a)
{
    free_secret(a->token);
    a->token = NULL;
    a->token_from_login = 0;
    a->expires_at_ms = 0;
    a->expires_at = 0;
    a->refresh_at = 0;
}

void auth_free(auth_state *a)
{
    auth_forget_token(a);
    free(a->user_email);
    a->user_email = NULL;
    free_secret(a->password);
    a->password = NULL;
    free_secret(a->basic_credential);
    a->basic_credential = NULL;
    free(a->certificate_header);
    a->certificate_header = NULL;
    free(a->certificate_subject);
    a->certificate_subject = NULL;
    EVP_PKEY_free(a->private_key);
    a->private_key = NULL;
}
