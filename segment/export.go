package segment

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"onedoor"
)

// OutreachRow is one resident or organisation of an outreach list: the
// store ID and the name, nothing else — a resident's name masked (张*),
// an organisation's as registered (public registry data).
type OutreachRow struct {
	ID   int64
	Name string
}

// outreachWords is how a workbook names whom it lists.
type outreachWords struct {
	id, name, subject, count, note string
}

func wordsFor(s onedoor.SubjectType) outreachWords {
	if s == onedoor.Legal {
		return outreachWords{
			id:      "单位编号 Organisation ID",
			name:    "单位名称 Name",
			subject: "单位 Organisations",
			count:   "单位数 Organisations",
			note:    "仅供主动服务使用；单位名称为登记名称。For outreach only; names are as registered.",
		}
	}
	return outreachWords{
		id:      "居民编号 Resident ID",
		name:    "姓名（脱敏） Name (masked)",
		subject: "居民 Residents",
		count:   "人数 Residents",
		note:    "仅供主动服务使用；姓名已脱敏。For outreach only; names are masked.",
	}
}

// WriteOutreachXLSX writes an outreach list as an Excel workbook: a sheet
// of IDs and names, and a sheet saying what the list is, both worded for
// residents or organisations by the result's subject.
func WriteOutreachXLSX(w io.Writer, r *WhatIfResult, rows []OutreachRow) error {
	words := wordsFor(r.Subject)
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "outreach"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	if err := sw.SetRow("A1", []any{words.id, words.name}); err != nil {
		return err
	}
	for i, x := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, []any{x.ID, x.Name}); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	about := "about"
	if _, err := f.NewSheet(about); err != nil {
		return err
	}
	lines := [][]any{
		{"规则 Rule", r.Rule},
		{"对象 Subject", words.subject},
		{"计算日期 Reference date", r.Reference},
		{words.count, len(rows)},
	}
	if r.Compare != nil {
		lines = append(lines, []any{"未申请事项 Not yet applied for", r.Compare.Matter})
	}
	lines = append(lines, []any{"说明 Note", words.note})
	for i, l := range lines {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(about, cell, &l); err != nil {
			return err
		}
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("segment: write workbook: %w", err)
	}
	return nil
}
