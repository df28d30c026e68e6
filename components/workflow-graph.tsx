"use client";

import "@xyflow/react/dist/style.css";
import dagre from "@dagrejs/dagre";
import { Background, Handle, MarkerType, Position, ReactFlow, type Edge, type Node, type NodeProps } from "@xyflow/react";
import { Ban, Check, CircleDashed, Clock, Hand, Loader, ShieldCheck, SkipForward, TriangleAlert, X } from "lucide-react";
import { useMemo, useSyncExternalStore } from "react";
import { cn } from "./ui/cn";

/** A step's status as the graph shows it: a run status, not started, or none (a definition). */
export type GraphStepStatus = "not_started" | "pending" | "running" | "completed" | "failed" | "interrupted" | "cancelled" | "skipped";

export type GraphStep = {
  key: string;
  name: string;
  dependsOn: string[];
  /** The gate's stage name, when an approval gate stands before the step. */
  gate?: string | null;
  pauseBefore?: boolean;
  /** Omitted on a definition's graph. */
  status?: GraphStepStatus;
};

type StepNodeData = GraphStep & Record<string, unknown>;

const NODE_W = 176;
const NODE_H = 66;

// Colour, icon and word together: never colour alone.
const statusLook: Record<GraphStepStatus, { word: string; Icon: typeof Check; className: string }> = {
  not_started: { word: "not started", Icon: CircleDashed, className: "border-slate-300 bg-white text-slate-700" },
  pending: { word: "queued", Icon: Clock, className: "border-sky-300 bg-sky-50 text-sky-900" },
  running: { word: "running", Icon: Loader, className: "border-sky-500 bg-sky-100 text-sky-950" },
  completed: { word: "completed", Icon: Check, className: "border-emerald-400 bg-emerald-50 text-emerald-900" },
  failed: { word: "failed", Icon: X, className: "border-red-500 bg-red-50 text-red-900" },
  interrupted: { word: "interrupted", Icon: TriangleAlert, className: "border-orange-400 bg-orange-50 text-orange-950" },
  cancelled: { word: "cancelled", Icon: Ban, className: "border-slate-400 bg-slate-100 text-slate-700" },
  // A branch the gate did not choose: dashed, so it reads as a path not taken.
  skipped: { word: "skipped", Icon: SkipForward, className: "border-dashed border-slate-400 bg-slate-50 text-slate-600" },
};

/** A step: a rounded box; a gated step: a box with a double violet border and a shield, its stage named. */
function StepNode({ data, sourcePosition, targetPosition }: NodeProps<Node<StepNodeData>>) {
  const look = data.status ? statusLook[data.status] : null;
  const Icon = look?.Icon;
  return (
    <div
      className={cn(
        "flex h-full w-full flex-col justify-center gap-0.5 px-2 text-xs shadow-sm",
        data.gate ? "rounded-none border-4 border-double border-violet-500" : "rounded-lg border-2",
        look ? look.className : "border-slate-300 bg-white text-slate-800",
        data.gate && !look && "bg-violet-50",
      )}
    >
      <Handle type="target" position={targetPosition ?? Position.Left} className="!bg-slate-400" isConnectable={false} />
      <span className="flex items-center gap-1 truncate font-medium">
        {data.gate && <ShieldCheck aria-hidden className="size-3.5 shrink-0 text-violet-700" />}
        {data.pauseBefore && <Hand aria-hidden className="size-3.5 shrink-0 text-amber-700" />}
        <span className="truncate">{data.name}</span>
      </span>
      <span className="flex items-center gap-1 truncate">
        {Icon && <Icon aria-hidden className={cn("size-3.5 shrink-0", data.status === "running" && "animate-spin motion-reduce:animate-none")} />}
        {look && <span>{look.word}</span>}
      </span>
      {data.gate && <span className="truncate text-violet-800">gate: {data.gate}</span>}
      <Handle type="source" position={sourcePosition ?? Position.Right} className="!bg-slate-400" isConnectable={false} />
    </div>
  );
}

const nodeTypes = { step: StepNode };

const NARROW = "(max-width: 640px)";
/** Whether the screen is phone-narrow (then the graph runs top to bottom); false while rendering on the server. */
function useNarrow(): boolean {
  return useSyncExternalStore(
    (onChange) => {
      const query = window.matchMedia(NARROW);
      query.addEventListener("change", onChange);
      return () => query.removeEventListener("change", onChange);
    },
    () => window.matchMedia(NARROW).matches,
    () => false,
  );
}

/** By dependency (dagre's layered layout), left to right or, on a narrow screen, top to bottom: positions for each step. */
function layout(steps: GraphStep[], vertical: boolean): { nodes: Node<StepNodeData>[]; edges: Edge[] } {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: vertical ? "TB" : "LR", nodesep: 24, ranksep: vertical ? 32 : 48, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  const keys = new Set(steps.map((s) => s.key));
  for (const s of steps) g.setNode(s.key, { width: NODE_W, height: NODE_H });
  const edges: Edge[] = [];
  for (const s of steps) {
    for (const d of s.dependsOn) {
      if (!keys.has(d)) continue;
      g.setEdge(d, s.key);
      edges.push({ id: `${d}->${s.key}`, source: d, target: s.key, markerEnd: { type: MarkerType.ArrowClosed }, animated: s.status === "running" || s.status === "pending" });
    }
  }
  dagre.layout(g);
  const nodes = steps.map((s): Node<StepNodeData> => {
    const p = g.node(s.key);
    return { id: s.key, type: "step", sourcePosition: vertical ? Position.Bottom : Position.Right, targetPosition: vertical ? Position.Top : Position.Left, position: { x: p.x - NODE_W / 2, y: p.y - NODE_H / 2 }, data: { ...s }, width: NODE_W, height: NODE_H, draggable: false, connectable: false, selectable: false };
  });
  return { nodes, edges };
}

/**
 * A workflow's steps as a graph (@xyflow/react, laid out by @dagrejs/dagre): dependencies as
 * arrows, gates as double-bordered boxes with a shield and their stage, review points with a hand,
 * and, on an instance, each step's status in colour, icon and word. The step list beside it is the
 * text equivalent; the graph is one labelled image to assistive technology. It fits its box and
 * pans and zooms within it, so it never widens the page on a phone.
 */
export function WorkflowGraph({ steps, label, className }: { steps: GraphStep[]; label: string; className?: string }) {
  const vertical = useNarrow();
  const { nodes, edges } = useMemo(() => layout(steps, vertical), [steps, vertical]);
  return (
    <div role="img" aria-label={label} className={cn("h-64 w-full overflow-hidden rounded-lg border border-slate-200 bg-white", className)}>
      <ReactFlow
        // Remounted when the orientation changes (after hydration on a phone), so it fits the new layout.
        key={vertical ? "vertical" : "horizontal"}
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        fitView
        // Never smaller than readable: a wide workflow pans inside its box instead.
        fitViewOptions={{ padding: 0.1, minZoom: 0.6, maxZoom: 1.2 }}
        minZoom={0.3}
        nodesDraggable={false}
        nodesConnectable={false}
        elementsSelectable={false}
        nodesFocusable={false}
        edgesFocusable={false}
        disableKeyboardA11y
        // The page scrolls past it with the wheel; drag (or a finger) pans it, pinch zooms it.
        zoomOnScroll={false}
        preventScrolling={false}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={16} size={1} />
      </ReactFlow>
    </div>
  );
}
