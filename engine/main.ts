// Placeholder until the worker lands: keeps `npm start` whole.
setInterval(() => {}, 1 << 30);
