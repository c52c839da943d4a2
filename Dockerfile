FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
# prisma/ and prisma.config.ts first: `npm ci` runs `prisma generate` in postinstall.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci --include=dev --no-audit --no-fund
COPY . .
RUN npx tsc -p tsconfig.build.json
USER node
CMD ["node", "dist/apps/api/src/main.js"]
