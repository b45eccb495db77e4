// Package pii protects candidates' personal data at rest: names, IINs,
// contacts and document scans are sealed with AES-256-GCM under a key kept
// in its own file, apart from the database (a copied kuzet.db alone reveals
// no name or IIN), and looked up by a keyed hash (an IIN is found without
// being stored in the clear). It also validates the IIN, Kazakhstan's
// 12-digit individual identification number.
//
// Only the HR service and administrators ever see what is sealed here
// (p.74-1: proctors, assessors and the commission see the PIN only).
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Errors of the package.
var (
	// ErrKey: the key file is missing, unreadable or malformed.
	ErrKey = errors.New("personal-data key")
	// ErrSealed: sealed data is damaged, or was sealed under another key
	// or for another record.
	ErrSealed = errors.New("sealed personal data cannot be opened (damaged, another key, or another record)")
)

// KeySize is the length of the key file's key.
const KeySize = 32

// version is the first byte of everything sealed, so the format can change.
const version = 1

// Vault seals and opens personal data and makes lookup hashes. It is safe
// for concurrent use.
type Vault struct {
	aead  cipher.AEAD
	index []byte
}

// LoadOrCreateKey reads the key file at path, creating it (mode 0600, its
// folder 0700) with a fresh random key if it does not exist. The file
// holds the key in hex. Keep it apart from the database and back it up
// apart: without it the sealed data is lost, with it and the database
// together the data can be read.
func LoadOrCreateKey(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		key := make([]byte, KeySize)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrKey, err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrKey, err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("%w: create %s: %v", ErrKey, path, err)
		}
		_, werr := f.WriteString(hex.EncodeToString(key) + "\n")
		serr := f.Sync()
		cerr := f.Close()
		if err := errors.Join(werr, serr, cerr); err != nil {
			return nil, fmt.Errorf("%w: write %s: %v", ErrKey, path, err)
		}
		return key, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	key, err := hex.DecodeString(string(trimSpace(raw)))
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("%w: %s must hold %d bytes in hex (64 hex digits)", ErrKey, path, KeySize)
	}
	return key, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}

// New makes a vault from a key of KeySize bytes. The sealing key and the
// lookup key are derived from it apart (HKDF-SHA256).
func New(key []byte) (*Vault, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("%w: want %d bytes, got %d", ErrKey, KeySize, len(key))
	}
	sealKey, err := hkdf.Key(sha256.New, key, nil, "kuzet pii seal v1", 32)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	indexKey, err := hkdf.Key(sha256.New, key, nil, "kuzet pii index v1", 32)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	block, err := aes.NewCipher(sealKey)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	return &Vault{aead: aead, index: indexKey}, nil
}

// Seal encrypts plain for the record named by aad (e.g. the candidate's
// id): what is sealed for one record cannot be opened as another's.
func (v *Vault) Seal(plain []byte, aad string) ([]byte, error) {
	out := make([]byte, 1+v.aead.NonceSize(), 1+v.aead.NonceSize()+len(plain)+v.aead.Overhead())
	out[0] = version
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return v.aead.Seal(out, out[1:], plain, []byte(aad)), nil
}

// Open decrypts what Seal sealed for aad, or fails with ErrSealed.
func (v *Vault) Open(sealed []byte, aad string) ([]byte, error) {
	n := v.aead.NonceSize()
	if len(sealed) < 1+n+v.aead.Overhead() || sealed[0] != version {
		return nil, ErrSealed
	}
	plain, err := v.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(aad))
	if err != nil {
		return nil, ErrSealed
	}
	return plain, nil
}

// Index is the lookup hash of a value of a kind (e.g. "iin"): the same
// value always gives the same hash under one key, and the hash tells
// nothing about the value without the key.
func (v *Vault) Index(kind, value string) string {
	m := hmac.New(sha256.New, v.index)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))
}

// WriteFile seals data for aad into the file at path (mode 0600), written
// to a temporary file and renamed so a crash leaves the old file or the
// new one, never half of one.
func (v *Vault) WriteFile(path string, data []byte, aad string) error {
	sealed, err := v.Seal(data, aad)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sealing-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(sealed)
	serr := tmp.Sync()
	cerr := tmp.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// The rename is durable only once the folder is synced.
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// ReadFile opens a file WriteFile wrote for aad.
func (v *Vault) ReadFile(path string, aad string) ([]byte, error) {
	sealed, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return v.Open(sealed, aad)
}
