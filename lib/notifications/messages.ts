import type { Gate, Instance, NotificationKind } from "@/db/schema";
import { clipText, storableText } from "@/lib/text";

/*
 * What a notification says, rendered once when it is decided on (so the log shows exactly what
 * went out): a subject, a plain-text and an HTML mail body, and a Slack-compatible chat message
 * (Block Kit, with `text` as the fallback for clients without blocks). Everything taken from a
 * gate, an instance or a person is escaped for the medium it lands in.
 */

/** A rendered notification. `chat` is the JSON body POSTed to an incoming webhook. */
export type RenderedMessage = { subject: string; text: string; html: string; chat: Record<string, unknown> };

/** The gate facts a message shows, with the dashboard links. `progress` is e.g. "1 of 2 approvals". */
export type GateNotice = {
  kind: Extract<NotificationKind, `gate_${string}`>;
  gate: Pick<Gate, "id" | "stage" | "instructions" | "expiresAt" | "requestedByLabel">;
  instance: Pick<Instance, "id" | "workflowKey" | "context">;
  progress: string;
  whoMayApprove: string;
  /** For gate_delegated: who passed their turn on. */
  delegatedBy?: string;
  links: { gate: string; instance: string };
};

/** An operator's pause or resume, for a channel. */
export type InstanceNotice = {
  kind: "instance_paused" | "instance_resumed";
  instance: Pick<Instance, "id" | "workflowKey">;
  by: string;
  reason: string | null;
  links: { instance: string };
};

const CONTEXT_CHARS = 600;

/** HTML text and attribute escaping. */
export const escapeHtml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

/** Slack mrkdwn escaping: the three characters Slack asks to be escaped, so no text becomes a mention or link. */
export const escapeMrkdwn = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** A subject line: one line, at most 200 characters. */
const oneLine = (s: string) => clipText(storableText(s.replace(/\s+/g, " ").trim()), 200);

function gateSubject(n: GateNotice): string {
  const what = `"${n.gate.stage}" for ${n.instance.workflowKey}`;
  switch (n.kind) {
    case "gate_opened":
      return `Approval needed: ${what}`;
    case "gate_delegated":
      return `${n.delegatedBy ?? "Someone"} passed their turn on ${what} to you`;
    case "gate_escalated":
      return `Escalated: ${what} is still waiting`;
    case "gate_expiring":
      return `Expires ${n.gate.expiresAt?.toISOString() ?? "soon"}: ${what}`;
    case "gate_reminder":
      return `Reminder: ${what} is waiting for a decision`;
  }
}

/** The approval request's message: the gate, its instructions, the instance's context, and links to decide. */
export function renderGateNotice(n: GateNotice): RenderedMessage {
  const subject = oneLine(gateSubject(n));
  const context = clipText(JSON.stringify(n.instance.context ?? {}, null, 2), CONTEXT_CHARS);
  const facts: [string, string][] = [
    ["Workflow", n.instance.workflowKey],
    ["Instance", n.instance.id],
    ["Stage", n.gate.stage],
    ["Progress", n.progress],
    ["Who may approve", n.whoMayApprove],
    ["Requested by", n.gate.requestedByLabel],
    ...(n.gate.expiresAt ? ([["Expires", n.gate.expiresAt.toISOString()]] as [string, string][]) : []),
  ];
  const instructions = clipText(n.gate.instructions, 1500);
  const text = [
    subject,
    "",
    ...facts.map(([k, v]) => `${k}: ${v}`),
    ...(instructions ? ["", "Instructions:", instructions] : []),
    "",
    "Context:",
    context,
    "",
    `Review and decide: ${n.links.gate}`,
    `The instance: ${n.links.instance}`,
    "",
    "You get this because you may decide this gate. Choose what you receive on your account page.",
  ].join("\n");
  const html = [
    `<h2 style="font-family:sans-serif">${escapeHtml(subject)}</h2>`,
    `<table style="font-family:sans-serif;font-size:14px">${facts.map(([k, v]) => `<tr><th align="left" style="padding-right:12px">${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join("")}</table>`,
    instructions ? `<h3 style="font-family:sans-serif">Instructions</h3><pre style="white-space:pre-wrap">${escapeHtml(instructions)}</pre>` : "",
    `<h3 style="font-family:sans-serif">Context</h3><pre style="white-space:pre-wrap">${escapeHtml(context)}</pre>`,
    `<p style="font-family:sans-serif"><a href="${escapeHtml(n.links.gate)}">Review and decide</a> · <a href="${escapeHtml(n.links.instance)}">Open the instance</a></p>`,
  ].join("\n");
  const chat = {
    text: subject,
    blocks: [
      { type: "header", text: { type: "plain_text", text: clipText(subject, 150) } },
      { type: "section", fields: facts.slice(0, 10).map(([k, v]) => ({ type: "mrkdwn", text: `*${k}*\n${escapeMrkdwn(clipText(v, 300))}` })) },
      ...(instructions ? [{ type: "section", text: { type: "mrkdwn", text: `*Instructions*\n${escapeMrkdwn(clipText(instructions, 2500))}` } }] : []),
      { type: "section", text: { type: "mrkdwn", text: `*Context*\n\`\`\`${escapeMrkdwn(context.replace(/```/g, "'''"))}\`\`\`` } },
      {
        type: "actions",
        elements: [
          { type: "button", style: "primary", text: { type: "plain_text", text: "Review and decide" }, url: n.links.gate },
          { type: "button", text: { type: "plain_text", text: "Open the instance" }, url: n.links.instance },
        ],
      },
    ],
  };
  return { subject, text, html, chat };
}

/** A pause or resume, for a channel: who, why, and a link to the instance. */
export function renderInstanceNotice(n: InstanceNotice): RenderedMessage {
  const verb = n.kind === "instance_paused" ? "Paused" : "Resumed";
  const subject = oneLine(`${verb}: ${n.instance.workflowKey} ${n.instance.id.slice(0, 8)} by ${n.by}`);
  const reason = n.reason ? clipText(n.reason, 500) : null;
  const text = [subject, "", `Instance: ${n.instance.id}`, `By: ${n.by}`, ...(reason ? [`Reason: ${reason}`] : []), "", `Open the instance: ${n.links.instance}`].join("\n");
  const html = [
    `<h2 style="font-family:sans-serif">${escapeHtml(subject)}</h2>`,
    `<p style="font-family:sans-serif">Instance <code>${escapeHtml(n.instance.id)}</code>, by ${escapeHtml(n.by)}${reason ? `: ${escapeHtml(reason)}` : ""}</p>`,
    `<p style="font-family:sans-serif"><a href="${escapeHtml(n.links.instance)}">Open the instance</a></p>`,
  ].join("\n");
  const chat = {
    text: subject,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `*${verb}* ${escapeMrkdwn(n.instance.workflowKey)} \`${n.instance.id}\` by ${escapeMrkdwn(n.by)}${reason ? `\n>${escapeMrkdwn(reason).replace(/\n/g, "\n>")}` : ""}` } },
      { type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: "Open the instance" }, url: n.links.instance }] },
    ],
  };
  return { subject, text, html, chat };
}

/** A pause or resume of many instances at once (a bulk operation, a maintenance window), for a channel: told once. */
export type GroupNotice = { kind: "instance_paused" | "instance_resumed"; what: string; by: string; reason: string | null; link: string };

/** "Paused: a bulk operation over 1,283 instances, by ops@…", with why and a link to watch it. */
export function renderGroupNotice(n: GroupNotice): RenderedMessage {
  const verb = n.kind === "instance_paused" ? "Pausing" : "Resuming";
  const subject = oneLine(`${verb} ${n.what}, by ${n.by}`);
  const reason = n.reason ? clipText(n.reason, 500) : null;
  const text = [subject, ...(reason ? ["", `Reason: ${reason}`] : []), "", `Follow it: ${n.link}`].join("\n");
  const html = [
    `<h2 style="font-family:sans-serif">${escapeHtml(subject)}</h2>`,
    ...(reason ? [`<p style="font-family:sans-serif">${escapeHtml(reason)}</p>`] : []),
    `<p style="font-family:sans-serif"><a href="${escapeHtml(n.link)}">Follow it</a></p>`,
  ].join("\n");
  const chat = {
    text: subject,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text: `*${verb}* ${escapeMrkdwn(n.what)}, by ${escapeMrkdwn(n.by)}${reason ? `\n>${escapeMrkdwn(reason).replace(/\n/g, "\n>")}` : ""}` } },
      { type: "actions", elements: [{ type: "button", text: { type: "plain_text", text: "Follow it" }, url: n.link }] },
    ],
  };
  return { subject, text, html, chat };
}
