from demands.models.demand import Demand, DemandEvent, DemandStatus, EventKind, Urgency

__all__ = ["Demand", "DemandEvent", "DemandStatus", "EventKind", "Urgency"]
