package http

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"time"

	"onedoor"
)

// applyData is the application form, the same at the window and online:
// one matter or one bundle, its materials as a checklist.
type applyData struct {
	Action     string // where the form posts
	Matter     *onedoor.Matter
	Bundle     *onedoor.Bundle
	Matters    []*onedoor.Matter
	Materials  []applyMaterial
	Delivery   []onedoor.Channel
	Chosen     onedoor.Channel
	Tolerate   bool
	Commitment string
	Applicant  *applicantView
	Online     bool
}

// applyMaterial is one line of the checklist. Waived names the e-licence
// the registry holds for the applicant: the line is ticked and marked
// 免提交, and nothing is asked for.
type applyMaterial struct {
	onedoor.Material
	Matters  []string
	IssuedBy *onedoor.Matter // within the bundle: nothing to bring (bundleMaterial)
	Waived   string
	Checked  bool
}

// Tolerable reports whether any material may follow under commitment.
func (d *applyData) Tolerable() bool {
	for _, m := range d.Materials {
		if m.Required && m.Tolerable && m.Waived == "" && m.IssuedBy == nil {
			return true
		}
	}
	return false
}

// applyForm builds the form for ?matter= or ?bundle= and the applicant's
// held licences (type → number).
func (s *Server) applyForm(q url.Values, subject onedoor.SubjectType, held map[string]string) (*applyData, error) {
	d := &applyData{}
	cat := s.DB.Catalog()
	switch {
	case q.Get("bundle") != "":
		b, ms, err := s.bundleOf(q.Get("bundle"))
		if err != nil {
			return nil, err
		}
		d.Bundle, d.Matters, d.Delivery = b, ms, b.Delivery
		for _, bm := range bundleMaterials(ms) {
			d.Materials = append(d.Materials, applyMaterial{Material: bm.Material, Matters: bm.Matters, IssuedBy: bm.IssuedBy})
		}
		if b.Subject != subject {
			return nil, webErr(onedoor.EINVALID, "apply.subject")
		}
	case q.Get("matter") != "":
		m, ok := cat.Matter(q.Get("matter"))
		if !ok {
			return nil, webErr(onedoor.ENOTFOUND, "err.matter", q.Get("matter"))
		}
		d.Matter, d.Matters, d.Delivery = m, []*onedoor.Matter{m}, m.Delivery
		for _, x := range m.Materials {
			d.Materials = append(d.Materials, applyMaterial{Material: x})
		}
		if m.Subject != subject {
			return nil, webErr(onedoor.EINVALID, "apply.subject")
		}
	default:
		return nil, fieldErr("matter", "apply.none")
	}
	for i := range d.Materials {
		if l := d.Materials[i].Licence; l != "" && held[l] != "" {
			d.Materials[i].Waived, d.Materials[i].Checked = held[l], true
		}
	}
	if len(d.Delivery) > 0 {
		d.Chosen = d.Delivery[0]
	}
	return d, nil
}

// readApply reads the ticked materials and options of a posted form into
// d (so that a refused form is shown again as it was filled in) and
// returns the intake request.
func readApply(r *http.Request, d *applyData) onedoor.IntakeRequest {
	ticked := r.PostForm["material"]
	req := onedoor.IntakeRequest{Tolerate: r.PostFormValue("tolerate") == "on", Commitment: r.PostFormValue("commitment"),
		Delivery: onedoor.Channel(r.PostFormValue("delivery"))}
	if d.Bundle != nil {
		req.Bundle = d.Bundle.Code
	} else {
		req.Matter = d.Matter.Code
	}
	for i := range d.Materials {
		if slices.Contains(ticked, d.Materials[i].Code) {
			d.Materials[i].Checked = true
			req.Materials = append(req.Materials, d.Materials[i].Code)
		} else if d.Materials[i].Waived == "" {
			d.Materials[i].Checked = false
		}
	}
	d.Tolerate, d.Commitment = req.Tolerate, req.Commitment
	if slices.Contains(d.Delivery, req.Delivery) {
		d.Chosen = req.Delivery
	}
	return req
}

// receiptData is the printable receipt: case numbers, the verification
// code, promised dates, the one notice of what is missing, and a QR code of
// the tracking link of each case.
type receiptData struct {
	Receipt   *onedoor.Receipt
	Cases     []receiptCase
	Applicant string // masked
	IssuedAt  time.Time
	Online    bool
}

type receiptCase struct {
	onedoor.ReceiptCase
	Matter   *onedoor.Matter
	TrackURL string
	QR       template.HTML
}

// trackURL is the absolute tracking link of a case, for the QR code.
func trackURL(r *http.Request, number, code string) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	q := url.Values{"number": {number}, "code": {code}}
	return scheme + "://" + r.Host + "/track?" + q.Encode()
}

func (s *Server) receipt(r *http.Request, v *view, rc *onedoor.Receipt, applicant string, online bool) (*receiptData, error) {
	d := &receiptData{Receipt: rc, Applicant: applicant, IssuedAt: s.DB.Now(), Online: online}
	for _, c := range rc.Cases {
		u := trackURL(r, c.Number, rc.Code)
		qr, err := qrSVG(u, v.T("receipt.qr", c.Number))
		if err != nil {
			return nil, err
		}
		m, _ := s.DB.Catalog().Matter(c.Matter)
		d.Cases = append(d.Cases, receiptCase{ReceiptCase: c, Matter: m, TrackURL: u, QR: qr})
	}
	return d, nil
}

// MaterialName names a material of a receipt case.
func (c receiptCase) MaterialName(code string) onedoor.Text {
	if c.Matter != nil {
		if x, ok := c.Matter.Material(code); ok {
			return x.Name
		}
	}
	return onedoor.Text{Zh: code, En: code}
}
