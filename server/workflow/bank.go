package workflow

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"kuzet.kz/kuzet/server/exam"
	"kuzet.kz/kuzet/server/qti"
)

// BankImportMaxBytes bounds one import: a single item or a content
// package of items with their images. A larger bank is imported in parts.
const BankImportMaxBytes = 20 << 20

// BankItem is one version of an item of a bank. XML is the item's
// canonical QTI export (qti.Item.Export), Href its path in the package it
// came from, Categories and Assets what the package gave it: parsing XML
// with qti.ParseItem(XML, Href) and restoring Categories and the assets'
// data gives back the item exactly, which Version proves (bankItem
// checks it on every load).
type BankItem struct {
	Bank       string   `json:"bank"`
	Identifier string   `json:"identifier"`
	Version    string   `json:"version"`
	Categories []string `json:"categories"`
	// Interaction is the item's interaction kind (choiceInteraction, …).
	Interaction string      `json:"interaction"`
	Href        string      `json:"href"`
	XML         []byte      `json:"xml"`
	Assets      []BankAsset `json:"assets"`
	Imported    time.Time   `json:"imported"`
	ImportedBy  string      `json:"imported_by"`
	// Entry is the audit entry of the import that brought this version.
	Entry int64 `json:"entry"`
}

// BankAsset is an image or object file of an item.
type BankAsset struct {
	Path string `json:"path"`
	Data []byte `json:"data"`
}

// ItemRef names one version of an item.
type ItemRef struct {
	Item    string `json:"item"`
	Version string `json:"version"`
}

// BankSnapshot is the list of item versions a bank held after an import,
// kept by its digest: a test attempt records the digest of the pool it was
// drawn from, so an appeal draws again from exactly that pool.
type BankSnapshot struct {
	Bank    string    `json:"bank"`
	Digest  string    `json:"digest"`
	Items   []ItemRef `json:"items"`
	Created time.Time `json:"created"`
}

// BankRefusal is an item of an import that was not taken, and why.
type BankRefusal struct {
	// Item is the item's identifier, or the manifest resource (or the
	// file) when the identifier could not be read.
	Item   string `json:"item"`
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	Reason string `json:"reason"`
	// Key and Args are the reason in the catalogue (qti.* keys), for
	// the page to show it in kk, ru or en.
	Key  string            `json:"key"`
	Args map[string]string `json:"args"`
}

// BankImport is what one import did.
type BankImport struct {
	Bank string `json:"bank"`
	// Added are items new to the bank, Changed new versions of items it
	// had, Unchanged items whose latest version is the one sent.
	Added     []ItemRef     `json:"added"`
	Changed   []ItemRef     `json:"changed"`
	Unchanged []ItemRef     `json:"unchanged"`
	Refused   []BankRefusal `json:"refused"`
	// Digest is the PoolDigest of the bank after the import, Items its size.
	Digest string `json:"digest"`
	Items  int    `json:"items"`
	Entry  int64  `json:"entry"`
}

var bankPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,63}$`)

func checkBank(bank string) error {
	if !bankPattern.MatchString(bank) {
		return refuse(KindInvalid, "", "workflow.err.bank_name", "{bank} is not a bank name: use 1 to 64 lower-case letters, digits, '-' and '_', starting with a letter or digit", "bank", strconv.Quote(bank))
	}
	return nil
}

// PoolDigest identifies a list of item versions: the SHA-256 of the
// identifiers and versions in identifier order.
func PoolDigest(refs []ItemRef) string {
	sorted := slices.Clone(refs)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Item < sorted[j].Item })
	h := sha256.New()
	h.Write([]byte("kuzet-bank-pool-v1\n"))
	for _, r := range sorted {
		h.Write([]byte(r.Item + "\x00" + r.Version + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

func refsOf(items []BankItem) []ItemRef {
	out := make([]ItemRef, 0, len(items))
	for _, it := range items {
		out = append(out, ItemRef{Item: it.Identifier, Version: it.Version})
	}
	return out
}

// readBankFile reads an import: a content package (a zip) or a single
// assessmentItem document. Items the qti package refused come back as
// refusals; err is for a file that cannot be read at all.
func readBankFile(data []byte, filename string) ([]*qti.Item, []BankRefusal, error) {
	refusal := func(e *qti.Error, fallback string) BankRefusal {
		id := e.Item
		if id == "" {
			id = fallback
		}
		args := map[string]string{}
		for k, v := range e.Args {
			args[k] = v
		}
		return BankRefusal{Item: id, File: e.File, Line: e.Line, Reason: e.Error(), Key: string(e.Key), Args: args}
	}
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) || strings.EqualFold(path.Ext(filename), ".zip") {
		pkg, err := qti.ReadPackage(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return nil, nil, refuse(KindInvalid, "", "workflow.err.bank_file", "the file cannot be read as a QTI 2.1 item or content package: {detail}", "detail", err.Error())
		}
		items, refused := []*qti.Item{}, []BankRefusal{}
		for _, e := range pkg.Entries {
			if e.Err != nil {
				refused = append(refused, refusal(e.Err, e.Resource))
				continue
			}
			items = append(items, e.Item)
		}
		return items, refused, nil
	}
	it, err := qti.ParseItem(data, "")
	if err != nil {
		var qe *qti.Error
		if errors.As(err, &qe) {
			return []*qti.Item{}, []BankRefusal{refusal(qe, filename)}, nil
		}
		return nil, nil, refuse(KindInvalid, "", "workflow.err.bank_file", "the file cannot be read as a QTI 2.1 item or content package: {detail}", "detail", err.Error())
	}
	return []*qti.Item{it}, []BankRefusal{}, nil
}

// usable says why an item cannot be asked in a test, or "": a test item
// needs a category (a section draws by it) and must be scored right or
// wrong automatically (exam.FullMarks).
func usable(it *qti.Item) string {
	if len(it.Categories) == 0 {
		return "the item has no category, so no test section can draw it: give it a label or a keyword in the package manifest"
	}
	if it.Interaction() == nil {
		return "the item has no interaction"
	}
	if _, err := exam.FullMarks(it); err != nil {
		return err.Error()
	}
	return ""
}

func unusableRefusal(it *qti.Item, why string) BankRefusal {
	r := refuse(KindInvalid, "", "workflow.err.bank_unusable", "the item cannot be asked in a test: {reason}", "reason", why)
	return BankRefusal{Item: it.Identifier, File: it.Href, Reason: r.Msg, Key: r.Key, Args: r.Args}
}

// ImportBank imports QTI 2.1 items into a named bank: one assessmentItem
// document, or an IMS content package (a zip) of them. Each accepted item
// is stored by identifier and version; an item whose latest version is the
// one sent changes nothing, changed content is a new version (the old one
// is kept: an attempt grades what its candidate saw). Every item not
// taken is reported by identifier with the reason, never dropped silently.
// The import is one audit entry: the bank, the counts, the versions and
// the bank's pool digest after it.
func (e *Engine) ImportBank(ctx context.Context, actor, bank string, data []byte, filename string) (BankImport, error) {
	if err := checkBank(bank); err != nil {
		return BankImport{}, err
	}
	if len(data) > BankImportMaxBytes {
		return BankImport{}, refuse(KindTooLarge, "", "workflow.err.bank_large", "the file is over {max} bytes; import the bank in smaller packages", "max", strconv.Itoa(BankImportMaxBytes))
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return BankImport{}, refuse(KindInvalid, "", "workflow.err.bank_file", "the file cannot be read as a QTI 2.1 item or content package: {detail}", "detail", "the file is empty")
	}
	items, refused, err := readBankFile(data, filename)
	if err != nil {
		return BankImport{}, err
	}
	type accepted struct {
		it  *qti.Item
		rec BankItem
	}
	var ok []accepted
	for _, it := range items {
		if why := usable(it); why != "" {
			refused = append(refused, unusableRefusal(it, why))
			continue
		}
		ver, err := it.Version()
		if err != nil {
			refused = append(refused, unusableRefusal(it, err.Error()))
			continue
		}
		x, err := it.Export()
		if err != nil {
			refused = append(refused, unusableRefusal(it, err.Error()))
			continue
		}
		assets := []BankAsset{}
		for _, a := range it.Assets {
			assets = append(assets, BankAsset{Path: a.Path, Data: a.Data})
		}
		ok = append(ok, accepted{it: it, rec: BankItem{Bank: bank, Identifier: it.Identifier, Version: ver, Categories: slices.Clone(it.Categories),
			Interaction: it.Interaction().Kind, Href: it.Href, XML: x, Assets: assets}})
	}
	now := e.now().UTC()
	out := BankImport{Bank: bank, Added: []ItemRef{}, Changed: []ItemRef{}, Unchanged: []ItemRef{}, Refused: refused}
	err = e.cfg.Store.Update(ctx, func(tx Tx) error {
		out.Added, out.Changed, out.Unchanged = []ItemRef{}, []ItemRef{}, []ItemRef{}
		latest := map[string]string{}
		had, err := tx.BankItems(bank)
		if err != nil {
			return err
		}
		for _, it := range had {
			latest[it.Identifier] = it.Version
		}
		var put []BankItem
		for _, a := range ok {
			ref := ItemRef{Item: a.rec.Identifier, Version: a.rec.Version}
			switch v, found := latest[ref.Item]; {
			case !found:
				out.Added = append(out.Added, ref)
			case v == ref.Version:
				out.Unchanged = append(out.Unchanged, ref)
				continue
			default:
				out.Changed = append(out.Changed, ref)
			}
			latest[ref.Item] = ref.Version
			put = append(put, a.rec)
		}
		pool := make([]ItemRef, 0, len(latest))
		for id, v := range latest {
			pool = append(pool, ItemRef{Item: id, Version: v})
		}
		out.Digest, out.Items = PoolDigest(pool), len(pool)
		refusedLog := []map[string]any{}
		for _, r := range out.Refused {
			refusedLog = append(refusedLog, map[string]any{"item": r.Item, "file": r.File, "key": r.Key})
		}
		idx, err := logEntry(tx, now, "bank:"+bank, actor, "bank_import", map[string]any{"bank": bank, "file": path.Base(filename),
			"added": len(out.Added), "changed": len(out.Changed), "unchanged": len(out.Unchanged), "refused": refusedLog,
			"versions": append(slices.Clone(out.Added), out.Changed...), "digest": out.Digest, "items": out.Items})
		if err != nil {
			return err
		}
		out.Entry = idx
		for _, rec := range put {
			rec.Imported, rec.ImportedBy, rec.Entry = now, actor, idx
			if err := tx.PutBankItem(rec); err != nil {
				return err
			}
		}
		sort.Slice(pool, func(i, j int) bool { return pool[i].Item < pool[j].Item })
		err = tx.PutBankSnapshot(BankSnapshot{Bank: bank, Digest: out.Digest, Items: pool, Created: now})
		if errors.Is(err, ErrExists) {
			err = nil
		}
		return err
	})
	if err != nil {
		return BankImport{}, err
	}
	return out, nil
}

// BankEntry is an item of a bank as HR lists it: no correct response.
type BankEntry struct {
	Identifier string `json:"identifier"`
	// Title is the item's title attribute, for the authors HR asks about
	// an item; "" when the item has none.
	Title       string    `json:"title"`
	Version     string    `json:"version"`
	Categories  []string  `json:"categories"`
	Interaction string    `json:"interaction"`
	Imported    time.Time `json:"imported"`
	Entry       int64     `json:"entry"`
}

// Bank lists the latest version of each item of a bank, by identifier.
func (e *Engine) Bank(ctx context.Context, bank string) ([]BankEntry, error) {
	if err := checkBank(bank); err != nil {
		return nil, err
	}
	out := []BankEntry{}
	err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		items, err := tx.BankItems(bank)
		if err != nil {
			return err
		}
		for _, rec := range items {
			// The title is in the stored XML only; parsing (cached by
			// version, as the draw does) also checks the stored version.
			it, err := e.parseBankItem(rec)
			if err != nil {
				return err
			}
			out = append(out, BankEntry{Identifier: rec.Identifier, Title: it.Title, Version: rec.Version, Categories: rec.Categories, Interaction: rec.Interaction, Imported: rec.Imported, Entry: rec.Entry})
		}
		return nil
	})
	return out, err
}

// TestProgram is a program of a test stage as HR reads it beside a
// bank: how many items of which category each section draws, so HR sees
// before the stage whether the bank can give every candidate a variant
// (exam.Draw refuses a section short of items).
type TestProgram struct {
	ID    string    `json:"id"`
	Stage StageKind `json:"stage"`
	Title exam.Text `json:"title"`
	// Bank is the bank a stage under the program draws from by default:
	// the one named like the stage's kind (checkTestStage).
	Bank      string         `json:"bank"`
	Sections  []exam.Section `json:"sections"`
	TimeLimit string         `json:"time_limit"`
	Questions int            `json:"questions"`
	Pass      *exam.PassRule `json:"pass,omitempty"`
	// Shipped: one of exam.Builtin; otherwise HR defined it (Digest,
	// Defined).
	Shipped bool       `json:"shipped"`
	Digest  string     `json:"digest,omitempty"`
	Defined *time.Time `json:"defined,omitempty"`
}

// parseBankItem gives back the qti.Item a BankItem was stored from and
// checks its version; parsed items are cached by version.
func (e *Engine) parseBankItem(rec BankItem) (*qti.Item, error) {
	key := rec.Bank + "\x00" + rec.Identifier + "\x00" + rec.Version
	if v, ok := e.items.Load(key); ok {
		return v.(*qti.Item), nil
	}
	it, err := qti.ParseItem(rec.XML, rec.Href)
	if err != nil {
		return nil, fmt.Errorf("bank %s item %s version %s: %w", rec.Bank, rec.Identifier, rec.Version, err)
	}
	it.Categories = slices.Clone(rec.Categories)
	data := map[string][]byte{}
	for _, a := range rec.Assets {
		data[a.Path] = a.Data
	}
	for i := range it.Assets {
		it.Assets[i].Data = data[it.Assets[i].Path]
	}
	ver, err := it.Version()
	if err != nil {
		return nil, err
	}
	if ver != rec.Version {
		return nil, fmt.Errorf("bank %s item %s: the stored content has version %s, not the recorded %s", rec.Bank, rec.Identifier, ver, rec.Version)
	}
	e.items.Store(key, it)
	return it, nil
}

// poolItems loads the items of a snapshot, parsed.
func (e *Engine) poolItems(tx ReadTx, bank string, refs []ItemRef) ([]qti.Item, error) {
	out := make([]qti.Item, 0, len(refs))
	for _, r := range refs {
		rec, err := tx.BankItem(bank, r.Item, r.Version)
		if err != nil {
			return nil, fmt.Errorf("bank %s item %s version %s: %w", bank, r.Item, r.Version, err)
		}
		it, err := e.parseBankItem(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, *it)
	}
	return out, nil
}

// Snapshot returns the item versions of a bank's pool by its digest,
// parsed: with an attempt's seed, exam.Draw over them gives the variant
// the candidate saw (an appeal reproduces it).
func (e *Engine) Snapshot(ctx context.Context, bank, digest string) ([]qti.Item, error) {
	var out []qti.Item
	err := e.cfg.Store.View(ctx, func(tx ReadTx) error {
		s, err := tx.BankSnapshot(bank, digest)
		if err := storeErr(err, "bank snapshot", digest); err != nil {
			return err
		}
		out, err = e.poolItems(tx, bank, s.Items)
		return err
	})
	return out, err
}
