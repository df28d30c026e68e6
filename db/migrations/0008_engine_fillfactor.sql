-- Room on each page for in-place (HOT) updates: step progress rewrites an instance row (current
-- steps, context) and a claim or completion rewrites a step run, many times per instance. With
-- full pages every such update moves the row to another page and re-inserts it into every index.
ALTER TABLE "instances" SET (fillfactor = 70);--> statement-breakpoint
ALTER TABLE "step_runs" SET (fillfactor = 80);
