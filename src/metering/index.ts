export { CUT_LEAD_MS, Meter, type MeterListener, type MeterStore, type Authorisation, type Ending, type Settlement } from './meter.ts';
export { planCuts, committed, stepsStarted, type MeteredCall, type CutPlan, type UserPlan } from './plan.ts';
