package segment

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"
)

// OutreachRow is one resident of an outreach list: the store ID and the
// masked name, nothing else.
type OutreachRow struct {
	ID         int64
	MaskedName string
}

// WriteOutreachXLSX writes an outreach list as an Excel workbook: a sheet
// of IDs and masked names, and a sheet saying what the list is.
func WriteOutreachXLSX(w io.Writer, r *WhatIfResult, rows []OutreachRow) error {
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
	if err := sw.SetRow("A1", []any{"居民编号 Resident ID", "姓名（脱敏） Name (masked)"}); err != nil {
		return err
	}
	for i, x := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, []any{x.ID, x.MaskedName}); err != nil {
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
		{"对象 Subject", string(r.Subject)},
		{"计算日期 Reference date", r.Reference},
		{"人数 Residents", len(rows)},
	}
	if r.Compare != nil {
		lines = append(lines, []any{"未申请事项 Not yet applied for", r.Compare.Matter})
	}
	lines = append(lines, []any{"说明 Note", "仅供主动服务使用；姓名已脱敏。For outreach only; names are masked."})
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
