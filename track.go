package onedoor

// defaultStatusTexts are the citizen-facing texts of statuses a matter does
// not word itself.
var defaultStatusTexts = map[Status]Text{
	StatusReceived:   {Zh: "已收件，待补齐材料后受理", En: "Received; accepted once the listed materials are handed in"},
	StatusInProgress: {Zh: "已受理，正在办理", En: "Accepted and in progress"},
	StatusSupplement: {Zh: "需补正材料，办理时限暂停计算", En: "Materials requested; the time limit is paused"},
	StatusSuspended:  {Zh: "特别程序中，办理时限暂停计算", En: "In a special procedure; the time limit is paused"},
	StatusApproved:   {Zh: "审批通过，正在制作结果", En: "Approved; the result is being prepared"},
	StatusCompleted:  {Zh: "已办结，待领取", En: "Completed; ready to be handed over"},
	StatusDelivered:  {Zh: "已送达", En: "Delivered"},
	StatusRejected:   {Zh: "不予办理", En: "Refused"},
}

// actionTexts word the events a resident sees in the timeline.
var actionTexts = map[Action]Text{
	ActionIntake:            {Zh: "申请已提交", En: "Application submitted"},
	ActionSupply:            {Zh: "已补交材料", En: "Materials handed in"},
	ActionApprove:           {Zh: "环节办理完成", En: "Step completed"},
	ActionReturn:            {Zh: "退回上一环节重新审核", En: "Returned to the previous step for review"},
	ActionRequestSupplement: {Zh: "要求补正材料", En: "Further materials requested"},
	ActionSuspend:           {Zh: "进入特别程序", En: "Special procedure started"},
	ActionResume:            {Zh: "特别程序结束", En: "Special procedure ended"},
	ActionExtend:            {Zh: "办理时限经批准延长", En: "Time limit extended with approval"},
	ActionReject:            {Zh: "决定不予办理", En: "Application refused"},
	ActionComplete:          {Zh: "办结，已出具结果", En: "Completed; result issued"},
	ActionDeliver:           {Zh: "结果已送达", En: "Result delivered"},
}

// StatusText is the citizen-facing text of status s for matter m.
func (m *Matter) StatusText(s Status) Text {
	if t, ok := m.StatusTexts[s]; ok && t.Zh != "" {
		return t
	}
	return defaultStatusTexts[s]
}

// Timeline turns a case's events into the lines a resident sees, oldest
// first. Internal notes are never included; reasons are, where the
// applicant is owed them.
func Timeline(m *Matter, events []Event) []TimelineEntry {
	out := make([]TimelineEntry, 0, len(events))
	for _, e := range events {
		t := actionTexts[e.Type]
		if e.Type == ActionApprove {
			if i := e.Step - 1; i >= 0 && i < len(m.Steps) {
				t = Text{Zh: m.Steps[i].Name.Zh + "环节已完成", En: m.Steps[i].Name.En + " completed"}
			}
		}
		if e.Type == ActionIntake && e.Status == StatusInProgress {
			t = Text{Zh: "申请已受理", En: "Application accepted"}
		}
		if e.Type == ActionSupply && e.Command.Licence != "" {
			t = Text{Zh: "所需证照已由电子证照库调取，无需提交", En: "The e-licence needed was drawn from the registry; nothing to hand in"}
		}
		entry := TimelineEntry{At: e.At, Status: e.Status, Text: t}
		switch e.Type {
		case ActionReject, ActionRequestSupplement, ActionExtend, ActionReturn, ActionSuspend:
			entry.Reason = e.Command.Reason
		}
		out = append(out, entry)
	}
	return out
}
